/**
 * Partner code limits: what a partner filter bundle may wire to and which JDK APIs its bytecode may call.
 *
 * <p>{@link io.weir.codecheck.PartnerPolicy} answers the resolver hook ({@code mayImport}, for every
 * {@code osgi.wiring.package} requirement of a partner bundle); {@link io.weir.codecheck.CodeCheck} checks a bundle
 * jar before it is installed and returns a {@link io.weir.codecheck.CodeReport} of
 * {@link io.weir.codecheck.Finding}s, each naming its {@link io.weir.codecheck.Rule}, the place (jar entry, method
 * name and descriptor, line) and the API used. Everything is an allow-list: what is not listed is refused.
 *
 * <h2>Packages a partner bundle may import</h2>
 * <ul>
 * <li>Every class: {@code io.weir.filter} (the filter API), {@code org.osgi.service.component} (the DS runtime
 * API), {@code org.osgi.service.log}, {@code org.osgi.util.function}, {@code org.osgi.util.promise}; and the JDK
 * packages {@code java.io}, {@code java.lang}, {@code java.lang.annotation}, {@code java.lang.invoke},
 * {@code java.lang.ref}, {@code java.lang.reflect}, {@code java.lang.runtime}, {@code java.math}, {@code java.net},
 * {@code java.nio}, {@code java.nio.channels}, {@code java.nio.charset}, {@code java.security}, {@code java.text},
 * {@code java.time}, {@code java.time.chrono}, {@code java.time.format}, {@code java.time.temporal},
 * {@code java.util}, {@code java.util.concurrent}, {@code java.util.concurrent.atomic},
 * {@code java.util.concurrent.locks}, {@code java.util.function}, {@code java.util.random}, {@code java.util.regex},
 * {@code java.util.stream}, {@code java.util.zip}. Dangerous members of these packages are refused by the bytecode
 * scan below, not by the import check.</li>
 * <li>ENCRYPTION adds {@code javax.crypto}, {@code javax.crypto.spec}, {@code java.security.spec}.</li>
 * <li>CACHE adds {@code java.nio.file}, {@code java.nio.file.attribute}.</li>
 * <li>REPLICATION adds all of the above plus {@code java.net.http}, {@code javax.net}, {@code javax.net.ssl},
 * {@code java.security.cert}.</li>
 * <li>Never: any other {@code io.weir.*} package, {@code org.osgi.framework*}, {@code org.apache.felix.*},
 * {@code sun.*}, {@code com.sun.*}, {@code jdk.*}, or any package not listed. A bundle may import a package it
 * exports itself (bnd's substitutable exports).</li>
 * </ul>
 *
 * <h2>Manifest</h2>
 * {@code Require-Bundle}, {@code DynamicImport-Package}, {@code Fragment-Host} and {@code Bundle-NativeCode} are
 * refused; {@code Bundle-ManifestVersion: 2} is required; {@code Export-Package} of a platform, OSGi, Felix or
 * {@code io.weir} package is refused. {@code Import-Package} of the main manifest and of any versioned
 * {@code META-INF/versions/N/OSGI-INF/MANIFEST.MF} is checked. Headers are parsed with the OSGi common header
 * syntax (quoted strings, attributes, directives).
 *
 * <h2>Bytecode</h2>
 * Every {@code .class} entry (including {@code META-INF/versions/**} and classes of embedded jars named on
 * {@code Bundle-ClassPath}) is read: superclass, interfaces, field and method descriptors, thrown and caught types,
 * every type, field and method reference, constants ({@code ldc} of classes, method types and method handles) and
 * invokedynamic bootstrap methods with their arguments. Calls through a partner subclass are matched against the
 * JDK class that declares the member.
 * <ul>
 * <li>{@code PROCESS_EXIT}: {@code System.exit}, {@code Runtime.exit}, {@code Runtime.halt}.</li>
 * <li>{@code PROCESS_SPAWN}: {@code ProcessBuilder}, {@code Process}, {@code ProcessHandle} (any use),
 * {@code Runtime.exec}.</li>
 * <li>{@code THREAD_CONTROL}: {@code Thread.stop/suspend/resume/countStackFrames};
 * {@code ThreadGroup.stop/suspend/resume/destroy/interrupt/setMaxPriority/setDaemon}.</li>
 * <li>{@code DEEP_REFLECTION}: {@code setAccessible}/{@code trySetAccessible} on any reflected member,
 * {@code MethodHandles.privateLookupIn}, {@code Lookup.defineClass/defineHiddenClass*},
 * {@code ModuleLayer.Controller.addOpens/addExports/addReads/enableNativeAccess}.</li>
 * <li>{@code REFLECTIVE_INVOCATION}: {@code Method.invoke}, {@code Constructor.newInstance}, {@code Class.newInstance},
 * {@code Field.get*}/{@code set*}, {@code Lookup.find*}, {@code Lookup.unreflect*}, {@code Lookup.ensureInitialized},
 * {@code Proxy.newProxyInstance/getProxyClass}, {@code InvocationHandler.invokeDefault}, {@code Class.forName(String)},
 * and {@code Class.forName(String, boolean, ClassLoader)} unless its second argument is provably the constant
 * {@code false}.</li>
 * <li>{@code BOOTSTRAP_NOT_ALLOWED}: invokedynamic or dynamic constants whose bootstrap is not
 * {@code LambdaMetafactory.metafactory/altMetafactory}, {@code StringConcatFactory.makeConcat*},
 * {@code ObjectMethods.bootstrap} or {@code SwitchBootstraps.typeSwitch/enumSwitch}.</li>
 * <li>{@code UNSAFE}: {@code sun.misc.Unsafe}, {@code jdk.internal.misc.Unsafe}. {@code INTERNAL_API}: any other
 * {@code sun.*}, {@code com.sun.*}, {@code jdk.internal.*} type.</li>
 * <li>{@code NATIVE_LOADING}: {@code System.load/loadLibrary}, {@code Runtime.load/loadLibrary},
 * {@code java.lang.foreign.Linker}, {@code SymbolLookup}. {@code NATIVE_CODE}: {@code .so}, {@code .so.N},
 * {@code .dll}, {@code .dylib}, {@code .jnilib} entries.</li>
 * <li>{@code CLASS_LOADER}: extending {@code ClassLoader}, {@code SecureClassLoader} or {@code URLClassLoader},
 * constructing one, {@code Lookup.defineClass/defineHiddenClass*}, {@code ModuleLayer.defineModules*}.</li>
 * <li>{@code NETWORK} (refused unless REPLICATION): {@code Socket}, {@code ServerSocket}, {@code DatagramSocket},
 * {@code MulticastSocket}, socket impls, {@code URLConnection} and subclasses, {@code URL.openConnection/openStream/
 * getContent}, {@code InetAddress} name lookups, socket channels, {@code java.net.http.*}, {@code javax.net.*}.</li>
 * <li>{@code FILE_SYSTEM} (refused unless CACHE or REPLICATION): {@code File}, {@code FileInputStream},
 * {@code FileOutputStream}, {@code FileReader}, {@code FileWriter}, {@code RandomAccessFile}, {@code FileDescriptor},
 * {@code ZipFile}, {@code AsynchronousFileChannel}, {@code FileChannel.open}, {@code java.nio.file.*}, and the
 * file-name constructors of {@code PrintStream}, {@code PrintWriter} and {@code Formatter}.</li>
 * <li>{@code GLOBAL_STATE}: {@code System.setIn/setOut/setErr/setProperty/clearProperty/setProperties/
 * setSecurityManager/gc/runFinalization}, {@code Runtime.addShutdownHook/removeShutdownHook/gc/runFinalization},
 * {@code Thread.setDefaultUncaughtExceptionHandler}, {@code Locale.setDefault}, {@code TimeZone.setDefault},
 * {@code Security.addProvider/insertProviderAt/removeProvider/setProperty}, {@code Policy.setPolicy}, and the
 * process-wide networking defaults and factories ({@code URL.setURLStreamHandlerFactory},
 * {@code URLConnection.set*}, {@code HttpURLConnection.setFollowRedirects}, socket impl factories,
 * {@code ProxySelector/Authenticator/CookieHandler/ResponseCache/SSLContext.setDefault},
 * {@code HttpsURLConnection.setDefault*}).</li>
 * <li>{@code PACKAGE_NOT_ALLOWED}: a reference to a type outside the bundle whose package {@code mayImport} refuses
 * (for example {@code org.osgi.framework.BundleContext}, {@code java.sql}, {@code javax.script}).</li>
 * <li>{@code RESERVED_PACKAGE}: a class defined in a platform, OSGi or Felix package or in {@code io.weir.filter}.</li>
 * <li>{@code UNREADABLE_CLASS}: a class entry that is not a class file, is truncated, is too new for the
 * scanner, or is larger than 16 MiB.</li>
 * </ul>
 */
@Export
@Version("1.0.0")
package io.weir.codecheck;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
