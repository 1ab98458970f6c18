package io.weir.certification;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * What the runtime will read from a built filter bundle, for a partner's build to check before shipping: the
 * bundle's name, version and declared filter classes ({@code Weir-Filter-Classes}), the packages it imports and
 * exports, the filter factories its Declarative Services descriptions register, and the setting keys its Metatype
 * descriptions declare (which the runtime checks a filter's settings against).
 *
 * @param symbolicName    {@code Bundle-SymbolicName} without directives
 * @param version         {@code Bundle-Version}
 * @param declaredClasses the classes of {@code Weir-Filter-Classes}, as written
 * @param imports         package names of {@code Import-Package}
 * @param exports         package names of {@code Export-Package}
 * @param filters         the components that provide {@code io.weir.filter.FilterFactory}
 * @param settings        per designated PID (a factory component's name), the attribute ids of its Metatype object
 *                        class, in declaration order
 */
public record BundleFacts(String symbolicName, String version, List<String> declaredClasses, List<String> imports,
                          List<String> exports, List<FilterComponent> filters, Map<String, List<String>> settings) {
    private static final String FACTORY = "io.weir.filter.FilterFactory";

    public BundleFacts {
        declaredClasses = List.copyOf(declaredClasses);
        imports = List.copyOf(imports);
        exports = List.copyOf(exports);
        filters = List.copyOf(filters);
        settings = Map.copyOf(settings);
    }

    /**
     * One filter factory component.
     *
     * @param component   the component's name
     * @param filterName  its {@code weir.filterName} property
     * @param filterClass its {@code weir.filterClass} property
     */
    public record FilterComponent(String component, String filterName, String filterClass) {
    }

    /** The imported packages outside {@code java.*}: what the bundle needs from the framework. */
    public List<String> frameworkImports() {
        return imports.stream().filter(p -> !p.startsWith("java.")).toList();
    }

    /** Read the facts of the bundle jar at {@code jar}. */
    public static BundleFacts read(Path jar) throws IOException {
        try (JarFile file = new JarFile(jar.toFile())) {
            if (file.getManifest() == null) {
                throw new IOException(jar + " has no manifest");
            }
            Attributes main = file.getManifest().getMainAttributes();
            List<FilterComponent> filters = new ArrayList<>();
            for (String xml : names(main.getValue("Service-Component"))) {
                ZipEntry entry = file.getEntry(xml);
                if (entry == null) {
                    throw new IOException(jar + ": Service-Component names " + xml + ", which is not in the bundle");
                }
                try (InputStream in = file.getInputStream(entry)) {
                    filters.addAll(factories(in, jar + "!/" + xml));
                }
            }
            Map<String, List<String>> settings = new LinkedHashMap<>();
            for (JarEntry e : file.stream().filter(e -> e.getName().startsWith("OSGI-INF/metatype/")
                    && e.getName().endsWith(".xml")).toList()) {
                try (InputStream in = file.getInputStream(e)) {
                    settings.putAll(metatype(in, jar + "!/" + e.getName()));
                }
            }
            return new BundleFacts(first(names(main.getValue("Bundle-SymbolicName"))),
                    String.valueOf(main.getValue("Bundle-Version")), names(main.getValue("Weir-Filter-Classes")),
                    names(main.getValue("Import-Package")), names(main.getValue("Export-Package")), filters, settings);
        }
    }

    private static String first(List<String> values) {
        return values.isEmpty() ? "" : values.get(0);
    }

    private static Document parse(InputStream xml, String where) throws IOException {
        try {
            DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
            dbf.setNamespaceAware(true);
            dbf.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return dbf.newDocumentBuilder().parse(xml);
        } catch (ParserConfigurationException | SAXException e) {
            throw new IOException(where + " is not readable XML: " + e.getMessage(), e);
        }
    }

    /** Designated PID to attribute ids, from one Metatype description. */
    private static Map<String, List<String>> metatype(InputStream xml, String where) throws IOException {
        Document doc = parse(xml, where);
        Map<String, List<String>> byOcd = new LinkedHashMap<>();
        NodeList ocds = doc.getElementsByTagNameNS("*", "OCD");
        for (int i = 0; i < ocds.getLength(); i++) {
            Element ocd = (Element) ocds.item(i);
            List<String> ids = new ArrayList<>();
            NodeList ads = ocd.getElementsByTagNameNS("*", "AD");
            for (int k = 0; k < ads.getLength(); k++) {
                ids.add(((Element) ads.item(k)).getAttribute("id"));
            }
            byOcd.put(ocd.getAttribute("id"), ids);
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        NodeList designates = doc.getElementsByTagNameNS("*", "Designate");
        for (int i = 0; i < designates.getLength(); i++) {
            Element d = (Element) designates.item(i);
            String pid = d.hasAttribute("pid") ? d.getAttribute("pid") : d.getAttribute("factoryPid");
            NodeList objects = d.getElementsByTagNameNS("*", "Object");
            for (int k = 0; k < objects.getLength(); k++) {
                out.put(pid, byOcd.getOrDefault(((Element) objects.item(k)).getAttribute("ocdref"), List.of()));
            }
        }
        return out;
    }

    /** The filter factory components of one component description. */
    private static List<FilterComponent> factories(InputStream xml, String where) throws IOException {
        Document doc = parse(xml, where);
        List<FilterComponent> out = new ArrayList<>();
        NodeList components = doc.getElementsByTagNameNS("*", "component");
        for (int i = 0; i < components.getLength(); i++) {
            Element c = (Element) components.item(i);
            if (!provides(c)) {
                continue;
            }
            out.add(new FilterComponent(c.getAttribute("name"), property(c, "weir.filterName"),
                    property(c, "weir.filterClass")));
        }
        return out;
    }

    private static boolean provides(Element component) {
        NodeList provides = component.getElementsByTagName("provide");
        for (int i = 0; i < provides.getLength(); i++) {
            if (FACTORY.equals(((Element) provides.item(i)).getAttribute("interface"))) {
                return true;
            }
        }
        return false;
    }

    private static String property(Element component, String name) {
        NodeList properties = component.getElementsByTagName("property");
        for (int i = 0; i < properties.getLength(); i++) {
            Element p = (Element) properties.item(i);
            if (name.equals(p.getAttribute("name"))) {
                return p.getAttribute("value");
            }
        }
        return "";
    }

    /** The names of a manifest clause list (packages, paths, classes), skipping commas inside quoted values. */
    static List<String> names(String header) {
        List<String> names = new ArrayList<>();
        if (header == null || header.isBlank()) {
            return names;
        }
        StringBuilder clause = new StringBuilder();
        boolean quoted = false;
        for (char c : (header + ",").toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
            }
            if (c == ',' && !quoted) {
                String name = clause.toString().split(";")[0].trim();
                if (!name.isEmpty()) {
                    names.add(name);
                }
                clause.setLength(0);
            } else {
                clause.append(c);
            }
        }
        return names;
    }
}
