package io.weir.deploy;

import java.nio.file.Path;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The deployed filter bundles of a runtime and the pipeline that admits them. Every change is recorded
 * durably before a method returns, so deployments and their verdicts survive restarts; at start every
 * recorded bundle is verified again before it is installed.
 */
@ProviderType
public interface FilterBundles {
    /**
     * Run the deploy pipeline on a bundle file and, when it passes, install and start the bundle.
     *
     * @return the deployed bundle, {@link BundleState#ACTIVE}
     * @throws DeployException {@link DeployException.Reason#REFUSED} with every reason when the pipeline refuses
     *         it; the bundle is not installed and the refusal is kept in {@link #list()} too
     */
    DeployedBundle deploy(Path bundleJar) throws DeployException;

    /** Deployed and refused bundles, sorted by symbolic name, with their last verdict. */
    List<DeployedBundle> list();

    /**
     * Stop and uninstall a deployed bundle and forget it.
     *
     * @throws DeployException {@link DeployException.Reason#BUSY} while a disk uses one of its filters
     *         (naming the disks), {@link DeployException.Reason#NOT_FOUND} when nothing of that name is deployed
     */
    DeployedBundle undeploy(String symbolicName) throws DeployException;
}
