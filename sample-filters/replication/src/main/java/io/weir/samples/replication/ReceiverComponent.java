package io.weir.samples.replication;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;

/**
 * A {@link ReplicaReceiver} run by Declarative Services: it starts when a configuration with pid {@value #PID}
 * exists (ConfigAdmin) and stops when it is deleted; a changed configuration restarts it.
 */
@Component(service = {}, immediate = true, configurationPid = ReceiverComponent.PID,
        configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = ReceiverSettings.class)
public final class ReceiverComponent {
    /** The configuration pid. */
    public static final String PID = "io.weir.samples.replication.receiver";

    private final ReplicaReceiver receiver;

    /** Start listening with {@code settings}. */
    @Activate
    public ReceiverComponent(ReceiverSettings settings) throws IOException {
        String crl = settings.receiver_crl();
        TlsCredentials tls = TlsCredentials.load(Path.of(settings.receiver_keystore()),
                Path.of(settings.receiver_keystore_passwordFile()), Path.of(settings.receiver_trust()),
                crl.isBlank() ? null : Path.of(crl));
        this.receiver = ReplicaReceiver.start(new ReplicaReceiver.Config(settings.receiver_bind(),
                settings.receiver_port(), Path.of(settings.receiver_directory()), tls,
                Duration.ofSeconds(settings.receiver_retention_seconds()), settings.receiver_retention_bytes()));
    }

    /** The running receiver. */
    public ReplicaReceiver receiver() {
        return receiver;
    }

    @Deactivate
    void stop() {
        receiver.close();
    }
}
