package io.weir.vscsi.service;

import java.util.Map;
import java.util.TreeMap;

import io.weir.vscsi.DiskException;
import io.weir.vscsi.DiskException.Reason;

import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * Checks a filter's per-disk settings against the Metatype the filter declares for its factory component
 * ({@code @Designate(ocd = ...)}): unknown keys, values the definition rejects, and required settings that
 * are missing are refused with the key named, before the filter is created.
 */
final class SettingsCheck {
    private SettingsCheck() {
    }

    static void check(String filterName, ObjectClassDefinition ocd, Map<String, Object> settings)
            throws DiskException {
        Map<String, AttributeDefinition> known = new TreeMap<>();
        AttributeDefinition[] all = ocd.getAttributeDefinitions(ObjectClassDefinition.ALL);
        if (all != null) {
            for (AttributeDefinition ad : all) {
                known.put(ad.getID(), ad);
            }
        }
        for (Map.Entry<String, Object> e : settings.entrySet()) {
            AttributeDefinition ad = known.get(e.getKey());
            if (ad == null) {
                throw new DiskException(Reason.INVALID, "filter '" + filterName + "' has no setting '" + e.getKey()
                        + "'" + (known.isEmpty() ? "; it takes none" : "; its settings: " + String.join(", ", known.keySet())));
            }
            String problem = ad.validate(String.valueOf(e.getValue()));
            if (problem != null && !problem.isEmpty()) {
                throw new DiskException(Reason.INVALID, "filter '" + filterName + "': setting '" + e.getKey() + "' = '"
                        + e.getValue() + "' is invalid: " + problem);
            }
        }
        AttributeDefinition[] required = ocd.getAttributeDefinitions(ObjectClassDefinition.REQUIRED);
        if (required != null) {
            for (AttributeDefinition ad : required) {
                String[] defaults = ad.getDefaultValue();
                if (!settings.containsKey(ad.getID()) && (defaults == null || defaults.length == 0)) {
                    throw new DiskException(Reason.INVALID, "filter '" + filterName + "' needs the setting '"
                            + ad.getID() + "' (" + ad.getDescription() + ")");
                }
            }
        }
    }
}
