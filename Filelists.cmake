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
  svc/cmd.c
  svc/exec.c
  svc/lm.c
  svc/lm_help.c
  svc/render.c
  svc/syslog.c
  svc/task.c
  svc/val.c
)
set(NET_SOURCES
  net/admit.c
  net/conn.c
  net/shell.c
  net/intercon.c
)
set(MODULE_SOURCES
  modules/modules.c
  modules/lm_system.c
  modules/lm_robustness.c
)
set(APP_SOURCES
  app/app.c
)
set(PORT_POSIX_SOURCES
  port/posix/ev_poll.c
  port/posix/hal_fs.c
  port/posix/hal_net.c
  port/posix/hal_net_info.c
  port/posix/hal_sys.c
  port/posix/hal_time.c
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
