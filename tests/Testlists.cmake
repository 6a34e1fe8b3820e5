# Every test, one line each.
micros_unit_test(test_cfg svc/cfg.c svc/cfg_schema.c port/posix/hal_fs.c core/str.c core/buf.c core/log.c core/err.c)
micros_unit_test(test_syslog svc/syslog.c port/posix/hal_fs.c core/log.c core/err.c)
