package io.weir.certification.probe.internal;

import io.weir.certification.probe.ProbeFilterFactory;
import io.weir.certification.probe.ProbeRecorder;
import io.weir.filter.FilterClass;
import io.weir.filter.FilterFactory;
import io.weir.filter.FilterType;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.metatype.annotations.Designate;

/** The kit's REPLICATION probe, {@code probe-replication}, recording into the kit's {@link ProbeRecorder} service. */
@Component(service = {FilterFactory.class, ProbeFilterFactory.class})
@Designate(ocd = ProbeSettings.class)
@FilterType(filterName = "probe-replication", filterClass = FilterClass.REPLICATION)
public final class ProbeReplication extends ProbeFilterFactory {
    @Activate
    public ProbeReplication(@Reference ProbeRecorder recorder) {
        super(FilterClass.REPLICATION, recorder);
    }
}
