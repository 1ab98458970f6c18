package io.weir.codecheck;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.FieldVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * Scans the bytecode of one bundle against a {@link PartnerPolicy}. One instance per {@link CodeCheck#check}
 * call: it knows the bundle's own classes (to follow calls through partner subclasses of JDK types) and
 * collects findings in order, without duplicates.
 */
final class ClassScanner {

    private static final int ASM_API = Opcodes.ASM9;

    private final PartnerPolicy policy;
    /** Own class internal name -> direct supertypes (superclass first, then interfaces). */
    private final Map<String, List<String>> ownSupertypes;
    /** Packages (dotted) of the bundle's own classes, reserved namespaces excluded. */
    private final Set<String> ownPackages;
    private final Map<String, List<String>> jdkSupertypes = new HashMap<>();
    private final LinkedHashSet<Finding> findings;

    /**
     * @param ownSupertypes the bundle's classes and their direct supertypes, from a first pass over every entry
     * @param findings      where findings go (shared with the manifest checks, so order is kept)
     */
    ClassScanner(PartnerPolicy policy, Map<String, List<String>> ownSupertypes, LinkedHashSet<Finding> findings) {
        this.policy = policy;
        this.ownSupertypes = ownSupertypes;
        this.findings = findings;
        Set<String> packages = new HashSet<>();
        for (String name : ownSupertypes.keySet()) {
            String pkg = packageOf(name);
            if (!ApiRules.reservedForDefinition(pkg)) {
                packages.add(pkg);
            }
        }
        this.ownPackages = packages;
    }

    /**
     * Scans one class. Malformed class files raise whatever ASM raises; the caller turns that into an
     * {@link Rule#UNREADABLE_CLASS} finding.
     *
     * @param entry the entry name used in {@code where}, e.g. {@code lib/x.jar!/com/acme/X.class}
     */
    void scan(String entry, byte[] bytes) {
        new ClassReader(bytes).accept(new Visitor(entry), ClassReader.SKIP_FRAMES);
    }

    /** The findings of one place (an instruction, a declaration), reported once per rule, most specific first. */
    private final class Site {
        private final String where;
        private final List<Finding> local = new ArrayList<>();

        Site(String where) {
            this.where = where;
        }

        void add(Rule rule, String message) {
            if (rule == Rule.NETWORK && policy.networkAllowed()
                    || rule == Rule.FILE_SYSTEM && policy.fileSystemAllowed()) {
                return;
            }
            for (Finding f : local) {
                if (f.rule() == rule) {
                    return;
                }
            }
            local.add(new Finding(rule, where, message));
        }

        void flush() {
            findings.addAll(local);
            local.clear();
        }

        /** Checks a reference to a type (internal name or array descriptor). */
        void type(String internalName, String use) {
            String name = elementName(internalName);
            if (name == null) {
                return;
            }
            String pkg = packageOf(name);
            // A bundle's own class is trusted to be scanned itself, unless it claims a reserved package (the
            // framework may load such a name from the platform instead, and the definition is a finding anyway).
            if (pkg.isEmpty() || ownSupertypes.containsKey(name) && !ApiRules.reservedForDefinition(pkg)) {
                return;
            }
            Optional<ApiRules.Verdict> verdict = ApiRules.type(name);
            if (verdict.isPresent()) {
                add(verdict.get().rule(), use + " " + javaName(name) + ": " + verdict.get().reason());
            } else if (!ownPackages.contains(pkg) && !policy.mayImport(pkg)) {
                ApiRules.Verdict v = ApiRules.packageVerdict(pkg);
                add(v.rule(), use + " " + javaName(name) + " from package " + pkg + ": " + v.reason());
            }
        }

        /** Checks every type in a method or field descriptor. */
        void descriptor(String descriptor, String use) {
            if (descriptor.startsWith("(")) {
                Type method = Type.getMethodType(descriptor);
                for (Type t : method.getArgumentTypes()) {
                    typeOf(t, use);
                }
                typeOf(method.getReturnType(), use);
            } else {
                typeOf(Type.getType(descriptor), use);
            }
        }

        private void typeOf(Type t, String use) {
            if (t.getSort() == Type.ARRAY) {
                t = t.getElementType();
            }
            if (t.getSort() == Type.OBJECT) {
                type(t.getInternalName(), use);
            }
        }

        /** Checks a field or method reference: the member's own rules (through supertypes), owner, descriptor. */
        void member(String owner, String name, String descriptor) {
            String shown = memberName(owner, name, descriptor);
            boolean isMethod = descriptor.startsWith("(");
            List<String> owners = "<init>".equals(name) ? List.of(owner) : withSupertypes(owner);
            for (String t : owners) {
                for (ApiRules.Verdict v : ApiRules.member(t, name, descriptor)) {
                    add(v.rule(), (isMethod ? "calls " : "uses ") + shown + ": " + v.reason());
                }
            }
            type(owner, "uses");
            descriptor(descriptor, "uses");
        }

        void handle(Handle h) {
            member(h.getOwner(), h.getName(), h.getDesc());
            if ("java/lang/Class".equals(h.getOwner()) && "forName".equals(h.getName())
                    && ApiRules.FOR_NAME_WITH_LOADER.equals(h.getDesc())) {
                add(Rule.REFLECTIVE_INVOCATION, "references " + memberName(h.getOwner(), h.getName(), h.getDesc())
                        + " as a method handle: may load and initialize a class named at run time");
            }
        }

        /** Checks a bootstrap-method argument or loadable constant. */
        void constant(Object value) {
            if (value instanceof Type t) {
                if (t.getSort() == Type.METHOD) {
                    descriptor(t.getDescriptor(), "uses");
                } else {
                    typeOf(t, "uses");
                }
            } else if (value instanceof Handle h) {
                handle(h);
            } else if (value instanceof ConstantDynamic c) {
                bootstrap(c.getBootstrapMethod(), "dynamic constant " + c.getName());
                descriptor(c.getDescriptor(), "uses");
                for (int i = 0; i < c.getBootstrapMethodArgumentCount(); i++) {
                    constant(c.getBootstrapMethodArgument(i));
                }
            }
        }

        void bootstrap(Handle bsm, String what) {
            if (bsm.getTag() != Opcodes.H_INVOKESTATIC || !ApiRules.allowedBootstrap(bsm.getOwner(), bsm.getName())) {
                add(Rule.BOOTSTRAP_NOT_ALLOWED, what + " is linked by "
                        + memberName(bsm.getOwner(), bsm.getName(), bsm.getDesc())
                        + ": only the compiler's lambda, string-concatenation, record and switch bootstraps"
                        + " are allowed");
            }
            member(bsm.getOwner(), bsm.getName(), bsm.getDesc());
        }
    }

    private final class Visitor extends ClassVisitor {
        private final String entry;

        Visitor(String entry) {
            super(ASM_API);
            this.entry = entry;
        }

        @Override
        public void visit(int version, int access, String name, String signature, String superName,
                String[] interfaces) {
            Site site = new Site(entry + ", declaration of " + javaName(name));
            String pkg = packageOf(name);
            if (ApiRules.reservedForDefinition(pkg)) {
                site.add(Rule.RESERVED_PACKAGE, "defines " + javaName(name) + " in reserved package " + pkg);
            }
            if (superName != null) {
                site.type(superName, "extends");
            }
            if (interfaces != null) {
                for (String i : interfaces) {
                    site.type(i, "implements");
                }
            }
            for (String t : withSupertypes(name)) {
                if (!t.equals(name) && ApiRules.CLASS_LOADER_TYPES.contains(t)) {
                    site.add(Rule.CLASS_LOADER,
                            "extends " + javaName(t) + ", a class loader: defines classes the scan never sees");
                    break;
                }
            }
            site.flush();
        }

        @Override
        public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
            Site site = new Site(entry + ", field " + name);
            site.descriptor(descriptor, "declares a field of type");
            site.flush();
            return null;
        }

        @Override
        public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                String[] exceptions) {
            String method = entry + ", method " + name + descriptor;
            Site site = new Site(method);
            site.descriptor(descriptor, "declares");
            if (exceptions != null) {
                for (String e : exceptions) {
                    site.type(e, "throws");
                }
            }
            site.flush();
            return new Code(method);
        }
    }

    /** One step of a method's code as far as the {@code Class.forName} check needs it. */
    private record Step(Label label, int stackDelta, int intConstant) {
        static final int UNKNOWN = Integer.MIN_VALUE;

        static Step label(Label l) {
            return new Step(l, 0, UNKNOWN);
        }

        static Step insn(int delta) {
            return new Step(null, delta, UNKNOWN);
        }

        static Step constant(int value) {
            return new Step(null, 1, value);
        }
    }

    /** A three-argument Class.forName whose initialize argument looked like constant false. */
    private record ForNameCall(Site site, String message, List<Label> crossed) {
    }

    private final class Code extends MethodVisitor {
        private static final int MAX_LOOKBACK = 64;
        private final String method;
        private int line = -1;
        private final List<Step> steps = new ArrayList<>();
        private final Set<Label> jumpTargets = new HashSet<>();
        private final List<ForNameCall> forNameCalls = new ArrayList<>();

        Code(String method) {
            super(ASM_API);
            this.method = method;
        }

        private Site site() {
            return new Site(line >= 0 ? method + ", line " + line : method);
        }

        @Override
        public void visitLineNumber(int lineNumber, Label start) {
            line = lineNumber;
        }

        @Override
        public void visitLabel(Label label) {
            steps.add(Step.label(label));
        }

        @Override
        public void visitInsn(int opcode) {
            if (opcode >= Opcodes.ICONST_M1 && opcode <= Opcodes.ICONST_5) {
                steps.add(Step.constant(opcode - Opcodes.ICONST_0));
            } else if (opcode == Opcodes.ACONST_NULL) {
                steps.add(Step.insn(1));
            } else {
                steps.add(Step.insn(Step.UNKNOWN));
            }
        }

        @Override
        public void visitIntInsn(int opcode, int operand) {
            steps.add(opcode == Opcodes.NEWARRAY ? Step.insn(0) : Step.constant(operand));
        }

        @Override
        public void visitVarInsn(int opcode, int varIndex) {
            switch (opcode) {
                case Opcodes.ILOAD, Opcodes.FLOAD, Opcodes.ALOAD -> steps.add(Step.insn(1));
                case Opcodes.LLOAD, Opcodes.DLOAD -> steps.add(Step.insn(2));
                default -> steps.add(Step.insn(Step.UNKNOWN));
            }
        }

        @Override
        public void visitIincInsn(int varIndex, int increment) {
            steps.add(Step.insn(Step.UNKNOWN));
        }

        @Override
        public void visitTypeInsn(int opcode, String type) {
            steps.add(Step.insn(opcode == Opcodes.NEW ? 1 : 0));
            Site site = site();
            site.type(type, "uses");
            site.flush();
        }

        @Override
        public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
            int size = Type.getType(descriptor).getSize();
            steps.add(Step.insn(switch (opcode) {
                case Opcodes.GETSTATIC -> size;
                case Opcodes.GETFIELD -> size - 1;
                default -> Step.UNKNOWN;
            }));
            Site site = site();
            site.member(owner, name, descriptor);
            site.flush();
        }

        @Override
        public void visitMethodInsn(int opcode, String owner, String name, String descriptor, boolean isInterface) {
            int sizes = Type.getArgumentsAndReturnSizes(descriptor);
            int arguments = (sizes >> 2) - (opcode == Opcodes.INVOKESTATIC ? 1 : 0);
            Site site = site();
            if (opcode == Opcodes.INVOKESTATIC && "java/lang/Class".equals(owner) && "forName".equals(name)
                    && ApiRules.FOR_NAME_WITH_LOADER.equals(descriptor)) {
                String message = "calls " + memberName(owner, name, descriptor)
                        + " without a constant false initialize argument: may initialize a class named at run time";
                List<Label> crossed = new ArrayList<>();
                if (initializeIsConstantFalse(crossed)) {
                    forNameCalls.add(new ForNameCall(site, message, crossed));
                } else {
                    site.add(Rule.REFLECTIVE_INVOCATION, message);
                }
            }
            steps.add(Step.insn((sizes & 3) - arguments));
            site.member(owner, name, descriptor);
            site.flush();
        }

        @Override
        public void visitInvokeDynamicInsn(String name, String descriptor, Handle bsm, Object... bsmArgs) {
            int sizes = Type.getArgumentsAndReturnSizes(descriptor);
            steps.add(Step.insn((sizes & 3) - ((sizes >> 2) - 1)));
            Site site = site();
            site.bootstrap(bsm, "invokedynamic " + name + descriptor);
            site.descriptor(descriptor, "uses");
            for (Object arg : bsmArgs) {
                site.constant(arg);
            }
            site.flush();
        }

        @Override
        public void visitLdcInsn(Object value) {
            steps.add(Step.insn(value instanceof Long || value instanceof Double ? 2 : 1));
            Site site = site();
            site.constant(value);
            site.flush();
        }

        @Override
        public void visitJumpInsn(int opcode, Label label) {
            steps.add(Step.insn(Step.UNKNOWN));
            jumpTargets.add(label);
        }

        @Override
        public void visitTableSwitchInsn(int min, int max, Label dflt, Label... labels) {
            steps.add(Step.insn(Step.UNKNOWN));
            jumpTargets.add(dflt);
            jumpTargets.addAll(List.of(labels));
        }

        @Override
        public void visitLookupSwitchInsn(Label dflt, int[] keys, Label[] labels) {
            steps.add(Step.insn(Step.UNKNOWN));
            jumpTargets.add(dflt);
            jumpTargets.addAll(List.of(labels));
        }

        @Override
        public void visitMultiANewArrayInsn(String descriptor, int numDimensions) {
            steps.add(Step.insn(Step.UNKNOWN));
            Site site = site();
            site.descriptor(descriptor, "uses");
            site.flush();
        }

        @Override
        public void visitTryCatchBlock(Label start, Label end, Label handler, String type) {
            jumpTargets.add(handler);
            if (type != null) {
                Site site = site();
                site.type(type, "uses");
                site.flush();
            }
        }

        /**
         * Walks back from a {@code forName(String, boolean, ClassLoader)} call over the instructions that
         * computed the loader argument (which must leave exactly one slot) and checks that the instruction
         * before them pushed the constant 0. Any instruction whose stack effect is not simple, or a label that
         * turns out to be a jump target (checked at the end of the method), makes the call count as initializing.
         */
        private boolean initializeIsConstantFalse(List<Label> crossed) {
            int sum = 0;
            int i = steps.size() - 1;
            for (int seen = 0; i >= 0 && seen < MAX_LOOKBACK; i--, seen++) {
                Step s = steps.get(i);
                if (s.label() != null) {
                    crossed.add(s.label());
                    continue;
                }
                if (s.stackDelta() == Step.UNKNOWN) {
                    return false;
                }
                sum += s.stackDelta();
                if (sum == 1) {
                    break;
                }
                if (sum > 1) {
                    return false;
                }
            }
            if (sum != 1) {
                return false;
            }
            for (i--; i >= 0; i--) {
                Step s = steps.get(i);
                if (s.label() != null) {
                    crossed.add(s.label());
                    continue;
                }
                return s.intConstant() == 0;
            }
            return false;
        }

        @Override
        public void visitEnd() {
            for (ForNameCall call : forNameCalls) {
                if (call.crossed().stream().anyMatch(jumpTargets::contains)) {
                    call.site().add(Rule.REFLECTIVE_INVOCATION, call.message());
                    call.site().flush();
                }
            }
        }
    }

    /** The type, then every supertype known (own classes from the bundle, JDK classes from this JDK). */
    private List<String> withSupertypes(String internalName) {
        List<String> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Deque<String> queue = new ArrayDeque<>();
        queue.add(internalName);
        while (!queue.isEmpty()) {
            String t = queue.removeFirst();
            if (!seen.add(t)) {
                continue;
            }
            out.add(t);
            queue.addAll(directSupertypes(t));
        }
        return out;
    }

    private List<String> directSupertypes(String internalName) {
        List<String> own = ownSupertypes.get(internalName);
        if (own != null) {
            return own;
        }
        if (!internalName.startsWith("java/") && !internalName.startsWith("javax/")) {
            return List.of();
        }
        return jdkSupertypes.computeIfAbsent(internalName, ClassScanner::loadJdkSupertypes);
    }

    /** Supertypes of a JDK type, looked up without initializing it; empty when this JDK lacks it. */
    private static List<String> loadJdkSupertypes(String internalName) {
        try {
            Class<?> c = Class.forName(internalName.replace('/', '.'), false, ClassLoader.getPlatformClassLoader());
            List<String> out = new ArrayList<>();
            if (c.getSuperclass() != null) {
                out.add(Type.getInternalName(c.getSuperclass()));
            }
            for (Class<?> i : c.getInterfaces()) {
                out.add(Type.getInternalName(i));
            }
            return List.copyOf(out);
        } catch (ClassNotFoundException | LinkageError | SecurityException e) {
            return List.of();
        }
    }

    /** The element class of an internal name or array descriptor; null for primitive arrays. */
    private static String elementName(String internalName) {
        if (!internalName.startsWith("[")) {
            return internalName;
        }
        Type t = Type.getType(internalName).getElementType();
        return t.getSort() == Type.OBJECT ? t.getInternalName() : null;
    }

    static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash).replace('/', '.');
    }

    private static String javaName(String internalName) {
        return internalName.replace('/', '.');
    }

    /** {@code java.lang.System.exit(int)}, {@code new java.io.File(java.lang.String)}, {@code java.lang.System.out}. */
    private static String memberName(String owner, String name, String descriptor) {
        if (!descriptor.startsWith("(")) {
            return javaName(owner) + "." + name;
        }
        StringBuilder b = new StringBuilder();
        if ("<init>".equals(name)) {
            b.append("new ").append(javaName(owner));
        } else {
            b.append(javaName(owner)).append('.').append(name);
        }
        b.append('(');
        Type[] args = Type.getArgumentTypes(descriptor);
        for (int i = 0; i < args.length; i++) {
            b.append(i == 0 ? "" : ", ").append(args[i].getClassName());
        }
        return b.append(')').toString();
    }
}
