package io.weir.certification.probe;

import java.util.ArrayList;
import java.util.List;

import io.weir.filter.IoChain;
import io.weir.filter.IoError;
import io.weir.filter.IoRequest;

/** Records the disposition a filter chose, and runs a hook at that moment. */
final class FakeChain implements IoChain {
    final IoRequest request;
    final List<String> dispositions = new ArrayList<>();
    final Runnable atDisposition;

    FakeChain(IoRequest request, Runnable atDisposition) {
        this.request = request;
        this.atDisposition = atDisposition;
    }

    @Override
    public void pass() {
        atDisposition.run();
        dispositions.add("pass");
    }

    @Override
    public void pass(IoRequest replacement) {
        atDisposition.run();
        dispositions.add("pass " + replacement);
    }

    @Override
    public void complete() {
        atDisposition.run();
        dispositions.add("complete");
    }

    @Override
    public void fail(IoError error, String message) {
        atDisposition.run();
        dispositions.add("fail " + error);
    }

    @Override
    public IoRequest request() {
        return request;
    }
}
