package io.weir.filter;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Declares a {@link FilterFactory} component's name and class as service properties
 * ({@value #NAME}, {@value #CLASS}). Put it beside {@code @Component(service = FilterFactory.class)}.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.CLASS)
@Target(ElementType.TYPE)
public @interface FilterType {
    /** Service property holding the filter's name. */
    String NAME = "weir.filterName";
    /** Service property holding the filter's {@link FilterClass} name. */
    String CLASS = "weir.filterClass";
    /** Prefix that maps the elements below to {@value #NAME} and {@value #CLASS}. */
    String PREFIX_ = "weir.";

    /** A unique, stable name: lower-case letters, digits and '-', at most 64 characters. */
    String filterName();

    /** The filter's class, which fixes its position in the stack. */
    FilterClass filterClass();
}
