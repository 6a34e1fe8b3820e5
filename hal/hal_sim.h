/* hal_sim.h - the simulated pin bank behind hal_gpio.h (the default backend on Linux).
 *
 * Tests and the `sim` Load Module use these calls to look at what the node drives (levels,
 * PWM duties, neopixel strips) and to drive what it reads (input levels, ADC values, sensor
 * values). Edges caused by hal_sim_drive reach hal_gpio_watch callbacks from the event loop
 * (a zero-delay timer), never from inside hal_sim_drive. Values are deterministic: an input
 * reads its pull level until driven, an ADC pin reads HAL_SIM_ADC_DEFAULT until set, sensors
 * read HAL_SIM_TEMP_DEFAULT / HAL_SIM_HUM_DEFAULT until set. */
#ifndef HAL_SIM_H
#define HAL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HAL_SIM_PINS         64   /* pins 0..63 */
#define HAL_SIM_STRIPS       4    /* neopixel strips kept at once */
#define HAL_SIM_STRIP_MAX    256  /* pixels kept per strip */
#define HAL_SIM_ADC_DEFAULT  1638 /* 40 % of HAL_ADC_MAX: a dim room for light_sensor */
#define HAL_SIM_TEMP_DEFAULT 22.5 /* degrees C */
#define HAL_SIM_HUM_DEFAULT  45.0 /* percent */
#define HAL_SIM_EDGE_QUEUE   64   /* edges waiting for the loop; more are dropped and counted */

/* What a simulated pin is used as, last setup wins. */
enum hal_sim_use {
    HAL_SIM_UNUSED,
    HAL_SIM_INPUT,
    HAL_SIM_OUTPUT,
    HAL_SIM_PWM,
    HAL_SIM_ADC,
    HAL_SIM_NEOPIXEL
};

struct hal_sim_pin {
    enum hal_sim_use use;
    int mode;         /* enum hal_pin_mode of the last hal_gpio_setup */
    int level;        /* output level, or the input level */
    uint32_t duty;    /* PWM duty 0..HAL_PWM_DUTY_MAX */
    uint32_t freq_hz; /* PWM frequency */
    uint32_t adc_raw; /* ADC value 0..HAL_ADC_MAX */
    bool is_watched;  /* an edge callback is registered */
    uint32_t writes;  /* hal_gpio_write / hal_pwm_set_duty / strip writes so far */
    size_t npixels;   /* neopixel: pixels last written */
};

/* Copies pin's state into out. Returns 0 or ERR_RANGE. Works whatever the backend. */
int hal_sim_pin_get(int pin, struct hal_sim_pin *out);
/* Drives input pin to level (0/1); a watched pin gets its edge callback on the next loop
 * pass. Returns 0, ERR_RANGE, or ERR_BUSY when the node drives the pin as an output. */
int hal_sim_drive(int pin, int level);
/* Sets what hal_adc_read returns for pin (0..HAL_ADC_MAX). Returns 0 or ERR_RANGE. */
int hal_sim_adc_set(int pin, uint32_t raw);
/* Copies up to cap pixels (3 bytes each) of the strip on pin into rgb and their count into
 * *n. Returns 0, ERR_NOENT (no strip written on pin) or ERR_RANGE. */
int hal_sim_strip_get(int pin, uint8_t *rgb, size_t cap, size_t *n);
/* Sets the simulated temperature (degrees C) and humidity (percent) all sensors report. */
void hal_sim_sensor_set(double temp_c, double hum_pct);
/* Reads the simulated temperature and humidity. */
void hal_sim_sensor_get(double *temp_c, double *hum_pct);
/* Returns true when the simulated backend is the active one. */
bool hal_sim_is_active(void);
/* Number of edges dropped because the edge queue was full. */
uint64_t hal_sim_edges_dropped(void);

/* --- the simulated buses (hal_bus.h with the "sim" backend) --- */

/* Device models the simulated I2C buses can carry, at register level. */
enum hal_sim_dev {
    HAL_SIM_BME280,   /* temperature/humidity/pressure, chip id 0x60, datasheet calibration */
    HAL_SIM_AHT10,    /* temperature/humidity, command based (0xE1 init, 0xAC measure) */
    HAL_SIM_VEML7700, /* ambient light, 16-bit little-endian registers */
    HAL_SIM_SSD1306,  /* 128x64 OLED, keeps its framebuffer */
    HAL_SIM_SH1106,   /* 132-column OLED controller showing 128 columns from column 2 */
    HAL_SIM_QMI8658,  /* 6-axis IMU, chip id 0x05 */
};
#define HAL_SIM_I2C_DEVS     8       /* devices plugged at once */
#define HAL_SIM_LD2410_FRAME 23      /* bytes of an ld2410 basic-mode report frame */
#define HAL_SIM_LD2410_MS    100     /* the simulated radar reports every this many ms */
#define HAL_SIM_PRESSURE     1013.25 /* hPa until set */
#define HAL_SIM_LUX          120.0   /* lx until set */

/* What the simulated sensors measure besides temperature and humidity (hal_sim_sensor_set). */
struct hal_sim_env {
    double pressure_hpa;
    double lux;
    double accel_g[3];  /* x, y, z in g (z = 1 g lying flat) */
    double gyro_dps[3]; /* degrees per second */
    /* ld2410 radar target: state 0 none, 1 moving, 2 static, 3 both; distances in cm */
    int radar_state;
    int radar_move_cm, radar_move_energy, radar_static_cm, radar_static_energy, radar_detect_cm;
};

/* Plugs a device model on the simulated bus at addr (7-bit). Returns 0, ERR_EXIST (address
 * taken), ERR_FULL or ERR_RANGE. */
int hal_sim_i2c_plug(enum hal_sim_dev kind, int bus, uint8_t addr);
/* Unplugs the device at bus/addr (then it NAKs). Returns 0 or ERR_NOENT. */
int hal_sim_i2c_unplug(int bus, uint8_t addr);
/* Plugs the whole kit on bus 0 (what the node starts with): ssd1306 0x3c, sh1106 0x3d,
 * bme280 0x76, aht10 0x38, veml7700 0x10, qmi8658 0x6b. */
void hal_sim_plug_kit(void);
/* Returns the name of the model at bus/addr ("bme280"), or NULL. */
const char *hal_sim_i2c_model(int bus, uint8_t addr);
/* Copies a simulated display's state: fb gets SIM 128x64 pixels as 1024 bytes, 8 pages of
 * 128 columns, bit 0 = top row of the page (as the SSD1306 keeps them). Returns 0 or
 * ERR_NOENT (no display at bus/addr). */
int hal_sim_display_get(int bus, uint8_t addr, uint8_t *fb, size_t cap, bool *is_on,
                        bool *is_inverted, uint32_t *writes);
/* Reads and replaces the environment. */
void hal_sim_env_get(struct hal_sim_env *out);
void hal_sim_env_set(const struct hal_sim_env *env);
/* The simulated UART ports carry an ld2410 radar: bytes the node writes are counted, and a
 * report frame goes out every HAL_SIM_LD2410_MS while the port is open. Frames sent so far. */
uint64_t hal_sim_uart_frames(void);

/* Forgets every pin, strip, I2C device and sensor value (tests); leaves a ssd1306 (0x3c) and a
 * bme280 (0x76) on bus 0. */
void hal_sim_reset(void);

#endif
