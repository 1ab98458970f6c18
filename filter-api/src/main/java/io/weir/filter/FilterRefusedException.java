package io.weir.filter;

/**
 * Thrown by a filter to refuse a preparing control event or the creation of an instance. The message is
 * shown to the operator as the reason, prefixed with the filter's name.
 */
public class FilterRefusedException extends Exception {
    private static final long serialVersionUID = 1L;

    public FilterRefusedException(String reason) {
        super(reason);
    }

    public FilterRefusedException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
