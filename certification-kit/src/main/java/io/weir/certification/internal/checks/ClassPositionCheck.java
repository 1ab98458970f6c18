package io.weir.certification.internal.checks;

import java.util.List;
import java.util.Map;

import io.weir.certification.internal.Check;
import io.weir.certification.internal.CheckContext;
import io.weir.certification.internal.Outcome;
import io.weir.certification.internal.Rig;
import io.weir.certification.internal.Station;
import io.weir.certification.probe.ProbeFilterFactory;
import io.weir.certification.probe.ProbeRecorder;
import io.weir.certification.probe.ProbeRecorder.Phase;
import io.weir.filter.Capability;
import io.weir.filter.FilterClass;
import io.weir.filter.IoRequest;
import io.weir.filter.IoStatus;
import io.weir.vscsi.DiskException;
import io.weir.vscsi.standalone.Disks;

/** The candidate sits at its class's place, in both directions, and is the only filter of its class. */
public final class ClassPositionCheck implements Check {
    @Override
    public String id() {
        return "class-and-position";
    }

    @Override
    public String sentence() {
        return "the filter sits at its class's place: below the filters of outer classes and above inner ones, "
                + "for requests going down and completions coming up, and it is the only filter of its class on a disk";
    }

    @Override
    public Outcome run(CheckContext ctx) throws Exception {
        Outcome out = new Outcome();
        FilterClass mine = ctx.candidate().filterClass();
        Rig rig = ctx.rig();
        String diskId = rig.nextDiskId();
        List<FilterClass> outer = rig.probeClasses().stream().filter(c -> c.isOuterTo(mine)).sorted().toList();
        List<FilterClass> inner = rig.probeClasses().stream().filter(c -> !c.isOuterTo(mine)).sorted().toList();
        out.note("stack of disk '" + diskId + "': probes " + outer + " above the candidate (" + mine + "), probes "
                + inner + " below it");
        try (Station s = rig.open(diskId, Rig.memory(diskId).build(), Rig.Layout.standard())) {
            byte[] data = new byte[8192];
            ctx.random("data").nextBytes(data);
            List<IoRequest> requests = new java.util.ArrayList<>(List.of(s.write(65536, data, false),
                    s.read(65536, 8192), IoRequest.flush(s.tag()), s.write(131072, data, true)));
            if (s.disk().capabilities().contains(Capability.WRITE_ZEROES)) {
                requests.add(IoRequest.writeZeroes(s.tag(), 196608, 4096, false));
            }
            if (s.disk().capabilities().contains(Capability.UNMAP)) {
                requests.add(IoRequest.unmap(s.tag(), 262144, 4096));
            }
            for (IoRequest r : requests) {
                IoStatus status = s.run(r);
                out.expect(status != null && status.isOk(), r + " completed with " + status + ", expected OK");
                ProbeRecorder.Trace t = rig.recorder().trace(diskId, r.tag()).orElse(null);
                if (t == null) {
                    out.fail(r + " was seen by no probe");
                    continue;
                }
                List<FilterClass> down = t.order(Phase.HANDLE);
                List<FilterClass> up = t.order(Phase.COMPLETED);
                out.note(r + ": down " + down + ", up " + up);
                out.expect(down.subList(0, Math.min(outer.size(), down.size())).equals(outer),
                        r + " went down through " + down + "; the outer probes " + outer + " must come first");
                List<FilterClass> outerUp = up.stream().filter(outer::contains).toList();
                out.expect(outerUp.equals(reversed(outer)), r + " came up through " + up + "; the outer probes must see it "
                        + "last, inner to outer " + reversed(outer));
            }
            long checks = s.observation().orderChecks();
            List<String> violations = s.observation().orderViolations();
            out.note("the candidate was checked " + checks + " times against the probes' records when a request or "
                    + "completion reached it");
            for (String v : violations) {
                out.fail(v);
            }
            out.expect(s.observation().handled() > 0, "no request reached the candidate");
        }
        secondOfSameClass(ctx, out);
        return out;
    }

    private static List<FilterClass> reversed(List<FilterClass> list) {
        List<FilterClass> r = new java.util.ArrayList<>(list);
        java.util.Collections.reverse(r);
        return r;
    }

    private static void secondOfSameClass(CheckContext ctx, Outcome out) {
        FilterClass mine = ctx.candidate().filterClass();
        String diskId = ctx.rig().nextDiskId();
        String name = "second-" + mine.name().toLowerCase(java.util.Locale.ROOT);
        ProbeFilterFactory second = new ProbeFilterFactory(name, mine, new ProbeRecorder());
        try (Station s = ctx.rig().open(diskId, Rig.memory(diskId).build(), Rig.Layout.alone(),
                new Disks.FilterSpec(name, mine, second, Map.of()))) {
            out.fail("the core opened disk '" + s.id() + "' with a second " + mine + " filter '" + name
                    + "' beside the candidate");
        } catch (DiskException e) {
            out.note("a second " + mine + " filter '" + name + "' on the same disk is refused: " + e.getMessage());
        }
    }
}
