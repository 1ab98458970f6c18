/**
 * Weir filter API: everything a partner compiles an I/O filter against.
 *
 * <p>A filter bundle registers a {@link io.weir.filter.FilterFactory} as a Declarative Services
 * component, annotated with {@link io.weir.filter.FilterType} to declare its name and
 * {@link io.weir.filter.FilterClass}. For every virtual disk the filter is attached to, the runtime
 * asks the factory for one {@link io.weir.filter.Filter} instance and gives it a
 * {@link io.weir.filter.FilterContext}: the filter's position in that disk's stack.
 *
 * <p>Requests travel from the guest side (outer) towards the backend (inner); completions travel back
 * inner to outer. For each request a filter receives it must choose exactly one disposition through the
 * {@link io.weir.filter.IoChain} it is handed: pass, complete, fail, or defer (keep the chain and choose
 * later, from the executor the context provides). A complete pass-through filter:
 *
 * <pre>{@code
 * @Component(service = FilterFactory.class)
 * @FilterType(filterName = "passthrough", filterClass = FilterClass.INSPECTION)
 * public final class PassThroughFactory implements FilterFactory {
 *     public Filter create(FilterContext context) {
 *         return (request, chain) -> chain.pass();
 *     }
 * }
 * }</pre>
 *
 * <p>Types marked {@code @ConsumerType} are implemented by partners; types marked {@code @ProviderType}
 * are implemented by the runtime only.
 */
@Export
@Version("1.2.0")
package io.weir.filter;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
