# Every fuzz target, one line each; corpus/NAME/ holds its seeds. run.sh runs them all.
# A target links the layer archives; list only sources that are not part of a layer.
micros_fuzz_target(fuzz_cmd)
micros_fuzz_target(fuzz_shell_frame)
micros_fuzz_target(fuzz_cfg)
micros_fuzz_target(fuzz_render)
micros_fuzz_target(fuzz_http)
micros_fuzz_target(fuzz_rest_path)
micros_fuzz_target(fuzz_cron)
micros_fuzz_target(fuzz_multipart)
