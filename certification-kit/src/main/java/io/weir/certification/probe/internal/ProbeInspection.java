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

/** The kit's INSPECTION probe, {@code probe-inspection}, recording into the kit's {@link ProbeRecorder} service. */
@Component(service = {FilterFactory.class, ProbeFilterFactory.class})
@Designate(ocd = ProbeSettings.class)
@FilterType(filterName = "probe-inspection", filterClass = FilterClass.INSPECTION)
public final class ProbeInspection extends ProbeFilterFactory {
    @Activate
    public ProbeInspection(@Reference ProbeRecorder recorder) {
        super(FilterClass.INSPECTION, recorder);
    }
}
