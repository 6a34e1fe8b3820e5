# Every fuzz target, one line each; corpus/NAME/ holds its seeds. run.sh runs them all.
micros_fuzz_target(fuzz_cmd svc/cmd.c svc/val.c svc/render.c core/arena.c core/buf.c core/str.c core/err.c)
micros_fuzz_target(fuzz_shell_frame net/shell_frame.c core/str.c)
micros_fuzz_target(fuzz_cfg svc/cfg.c svc/cfg_schema.c port/posix/hal_fs.c core/str.c core/buf.c core/log.c core/err.c)
micros_fuzz_target(fuzz_render svc/val.c svc/render.c core/arena.c core/buf.c core/str.c core/err.c)
micros_fuzz_target(fuzz_http net/http_parse.c net/http_reply.c net/rest_path.c core/buf.c core/str.c core/err.c)
micros_fuzz_target(fuzz_rest_path net/rest_path.c core/str.c core/err.c)
micros_fuzz_target(fuzz_cron svc/cron.c svc/clock.c svc/sun.c core/ev.c core/err.c core/log.c core/str.c port/posix/ev_poll.c port/posix/hal_time.c)
micros_fuzz_target(fuzz_multipart net/multipart.c core/str.c)
