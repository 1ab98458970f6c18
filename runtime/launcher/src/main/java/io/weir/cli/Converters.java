package io.weir.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Option value converters with precise messages. */
final class Converters {
    private Converters() {
    }

    /** Sizes with binary suffixes, see {@link Sizes}. */
    static final class Size implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Sizes.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Durations in milliseconds, see {@link Durations}. */
    static final class DurationMillis implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Durations.parseMillis(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
