-- LM_thermostat.lua - a DHT22 and a switch (relay) keep a room at a set temperature.
-- The heater goes on below target - hyst and off above target + hyst (a hysteresis, so the
-- relay does not chatter); every control step appends a line to data/thermostat.csv.
--   thermostat set 21.5 0.5
--   thermostat run 60000 &&         (one control step a minute, in the background)
--   thermostat measure              (temperature and humidity, also for metrics / HA)
local M = {}

local target, hyst = 21.0, 0.5
local relay, sensor = nil, nil
local heating = false
local LOG = "thermostat.csv"

local function setup()
    if relay then return end
    relay = micros.pin_out(micros.bind_pin("switch_1"), 0)
    sensor = micros.bind_pin("dhtpin")
end

function M.set(temp, hysteresis)
    target = temp
    if hysteresis then hyst = hysteresis end
    return {target = target, hyst = hyst}
end

function M.measure()
    setup()
    local t, h = micros.dht22(sensor)
    return {temp = t, hum = h}
end

-- one control step: read, switch, log
function M.control()
    setup()
    local t, h = micros.dht22(sensor)
    if t < target - hyst then
        heating = true
    elseif t > target + hyst then
        heating = false
    end
    micros.write(relay, heating and 1 or 0)
    micros.file_append(LOG, string.format("%d,%.1f,%.1f,%d\n", micros.ticks_ms(), t, h,
                                          heating and 1 or 0))
    return {temp = t, target = target, heating = heating}
end

-- control steps every period_ms until killed (call with &)
function M.run(period_ms)
    while true do
        M.control()
        micros.sleep_ms(period_ms)
    end
end

-- the last n lines of the data log
function M.log(n)
    local text = micros.file_read(LOG) or ""
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    local out = {}
    for i = math.max(1, #lines - n + 1), #lines do out[#out + 1] = lines[i] end
    return out
end

M.__decl = {
    set = {params = {{"temp", "float", nil, "5-30-1"}, {"hysteresis", "float", opt = true}}},
    measure = {widget = "TEXTBOX",
               measures = {{"temp", "°C", "temperature"}, {"hum", "%", "humidity"}}},
    control = {widget = "BUTTON"},
    run = {params = {{"period_ms", "int", 60000}}},
    log = {params = {{"n", "int", 10}}},
}

return M
