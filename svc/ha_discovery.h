/* ha_discovery.h - Home Assistant MQTT discovery from the Load Modules' widget declarations.
 *
 * Every loaded module's widgets become entities of one HA device (identifiers = hwuid, name =
 * devfid), published retained under homeassistant/<component>/<node>/<object>/config:
 *   toggle BUTTON + COLOR / WHITE / SLIDER  -> light (JSON schema; rgb, color_temp or
 *                                              brightness colour mode)
 *   toggle BUTTON alone                     -> switch
 *   other BUTTON                            -> button (runs the function with its defaults)
 *   SLIDER outside a light                  -> number (min/max/step from its range)
 *   measurement function (lm_func.measures) -> sensor per measure (device_class, unit,
 *                                              state_class measurement)
 * Commands arrive on <base>/ha/<module>/<function>/set and run as module calls; states come
 * from the module's status function (<base>/state/<module>[/<object>]). A config that is no
 * longer wanted (module gone, node renamed) is cleared with an empty retained payload. */
#ifndef HA_DISCOVERY_H
#define HA_DISCOVERY_H

#include "../core/arena.h"

#include <stdbool.h>
#include <stddef.h>

struct mqtt;
struct lm_module;
struct val;

#ifndef HA_ENTITIES_MAX
#define HA_ENTITIES_MAX 256
#endif

struct ha;

/* Allocates the discovery state (NULL when out of memory). */
struct ha *ha_new(void);
/* Frees it (NULL is fine). */
void ha_free(struct ha *ha);
/* Publishes the configs of every loaded module that are new or changed, and clears the ones
 * that are no longer wanted. Cheap when nothing changed. */
void ha_sync(struct mqtt *m);
/* Clears every config this node published (rename, mqtt turned off). */
void ha_clear(struct mqtt *m);
/* Forgets what was published (after a reconnect everything is sent again). */
void ha_forget(struct ha *ha);
/* After mod's status was read (status may be NULL): publishes the per-entity state topics
 * HA reads (light JSON, switch ON/OFF). */
void ha_publish_states(struct mqtt *m, const struct lm_module *mod, const struct val *status,
                       struct arena *a);
/* Handles a message on <base>/ha/<rest>; returns true when rest named an entity command. */
bool ha_command(struct mqtt *m, const char *rest, const char *payload, size_t len);

#endif
