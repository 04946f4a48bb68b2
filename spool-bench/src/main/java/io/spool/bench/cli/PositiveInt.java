package io.spool.bench.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads an option's value as a whole number above zero: a count, a size, a number of seconds. */
public final class PositiveInt implements ITypeConverter<Integer> {

    @Override
    public Integer convert(String value) {
        int n;
        try {
            n = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            // picocli's words for its own int options, so every whole-number option reads alike.
            throw new TypeConversionException("'" + value + "' is not an int");
        }
        if (n <= 0) {
            throw new TypeConversionException("'" + value + "' is not positive");
        }
        return n;
    }
}
