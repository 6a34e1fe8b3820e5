# Every test, one line each.
micros_unit_test(test_ev core/ev.c port/posix/ev_poll.c port/posix/hal_time.c)
micros_unit_test(test_cfg svc/cfg.c svc/cfg_schema.c port/posix/hal_fs.c core/str.c core/buf.c core/log.c core/err.c)
micros_unit_test(test_syslog svc/syslog.c port/posix/hal_fs.c core/log.c core/err.c)
micros_unit_test(test_val_render svc/val.c svc/render.c core/arena.c core/buf.c core/str.c core/err.c)
micros_unit_test(test_cmd svc/cmd.c svc/val.c svc/render.c core/arena.c core/buf.c core/str.c core/err.c)
micros_unit_test(test_lm_system modules/lm_robustness.c svc/pinmap.c svc/lm.c svc/val.c svc/cmd.c svc/syslog.c core/arena.c core/buf.c core/str.c core/err.c core/log.c port/posix/hal_sys.c port/posix/hal_net_info.c port/posix/hal_fs.c)
micros_blackbox_test(test_shell)
micros_unit_test(test_task svc/task.c svc/val.c svc/render.c core/arena.c core/buf.c core/err.c core/str.c core/ev.c port/posix/ev_poll.c)
