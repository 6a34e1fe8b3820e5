# Explicit source lists per layer (no globbing), so another build system can
# take the portable layers as they are.
set(CORE_SOURCES
  core/arena.c
  core/buf.c
  core/err.c
  core/ev.c
  core/log.c
  core/str.c
)
set(SVC_SOURCES
  svc/cfg.c
  svc/cfg_schema.c
  svc/clock.c
  svc/cron.c
  svc/irq.c
  svc/sched.c
  svc/sun.c
  svc/cmd.c
  svc/exec.c
  svc/lm.c
  svc/lm_help.c
  svc/luamod.c
  svc/luamod_api.c
  svc/luaval.c
  svc/render.c
  svc/syslog.c
  svc/task.c
  svc/val.c
  svc/endpoint.c
  svc/cfg_web.c
  svc/pinmap.c
  svc/persist.c
  svc/mqtt.c
  svc/ha_discovery.c
  svc/notify.c
  svc/metrics.c
  svc/metrics_count.c
)
set(NET_SOURCES
  net/admit.c
  net/conn.c
  net/shell.c
  net/lobby.c
  net/server.c
  net/http.c
  net/http_parse.c
  net/http_reply.c
  net/http_rest.c
  net/http_static.c
  net/rest_path.c
  net/intercon.c
  net/shell_frame.c
)
set(MODULE_SOURCES
  modules/modules.c
  modules/lm_system.c
  modules/lm_robustness.c
  modules/lm_cron.c
  modules/light.c
  modules/lm_rgb.c
  modules/lm_sim.c
  modules/lm_switch.c
  modules/lm_neopixel.c
  modules/lm_cct.c
  modules/lm_dimmer.c
  modules/lm_genIO.c
  modules/lm_servo.c
  modules/lm_buzzer.c
  modules/lm_dht22.c
  modules/lm_ds18.c
  modules/lm_light_sensor.c
  modules/lm_gameOfLife.c
  modules/lm_telegram.c
  modules/lm_mqtt.c
  modules/lm_lua.c
)
set(APP_SOURCES
  app/app.c
  app/app_metrics.c
  app/app_mdns.c
)
# The event loop backend: epoll on Linux, poll(2) elsewhere (both are tested: test_ev,
# test_ev_epoll).
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(EV_BACKEND_SOURCE port/posix/ev_epoll.c)
else()
  set(EV_BACKEND_SOURCE port/posix/ev_poll.c)
endif()
set(PORT_POSIX_SOURCES
  ${EV_BACKEND_SOURCE}
  port/posix/hal_fs.c
  port/posix/hal_net.c
  port/posix/hal_net_info.c
  port/posix/hal_sys.c
  port/posix/hal_time.c
  port/posix/hal_gpio.c
  port/posix/sim_gpio.c
  port/posix/gpio_gpiod.c
  port/posix/sd_notify.c
  port/posix/httpc_none.c
  port/posix/mqtt_none.c
  port/posix/hal_proc.c
  port/posix/mdns_avahi.c
  port/posix/resolve.c
)
# Ports of optional libraries, added when pkg-config finds them (CMakeLists.txt): the HTTP(S)
# client on libcurl (else httpc_none.c answers ERR_NOTSUP).
set(PORT_POSIX_CURL_SOURCES
  port/posix/httpc_curl.c
)
# The MQTT client on libmosquitto (else mqtt_none.c: no MQTT).
set(PORT_POSIX_MOSQ_SOURCES
  port/posix/mqtt_mosq.c
)
# microsctl, the host toolkit (may use OS headers and libedit; not part of the node).
set(CLI_SOURCES
  cli/main.c
  cli/open.c
  cli/conn.c
  cli/batch.c
  cli/cache.c
  cli/run.c
  cli/search.c
  cli/status.c
  cli/backup.c
  cli/repl.c
  core/err.c
  svc/cfg_schema.c
)
# The web UI packed into the binary by tools/pack (net/web_assets.h). An explicit list like the
# sources: a new file under web/ is packed once it is added here (the build then re-runs pack
# whenever any of these files changes).
set(WEB_FILES
  web/index.html
  web/index.js
  web/dashboard.html
  web/dashboard.js
  web/config.html
  web/config.js
  web/app.js
  web/auth.js
  web/style.css
)
set(WEB_ASSET_SOURCES ${CMAKE_BINARY_DIR}/gen/web_assets.c)
