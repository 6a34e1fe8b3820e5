-- LM_pet_feeder.lua - a servo opens the food gate for a moment; cron feeds on time.
-- After micrOS's LM_pet_feeder. feed() opens the gate and a timer closes it, so it works
-- from cron (no task needed). The portions given are counted in data/pet_feeder.txt.
-- Feed at 8:00 and 18:00 every day (config, with cron True):
--   crontasks *:8:0:0!pet_feeder feed;*:18:0:0!pet_feeder feed
local M = {}

local pin = nil
local COUNT = "pet_feeder.txt"

-- servo angle 0..180 -> duty at 50 Hz (0.5 ms .. 2.5 ms of 20 ms)
local function angle(deg)
    local ms = 0.5 + 2.0 * deg / 180
    micros.duty(pin, math.floor(ms / 20 * micros.DUTY_MAX + 0.5))
end

local function setup()
    if pin then return end
    pin = micros.pwm(micros.bind_pin("servo_1"), 50)
    angle(0)
end

function M.portions()
    return tonumber(micros.file_read(COUNT) or "0") or 0
end

-- opens the gate to open_deg for open_ms, then closes it (timer)
function M.feed(open_deg, open_ms)
    setup()
    angle(open_deg)
    micros.timer(open_ms, function() angle(0) end)
    local n = M.portions() + 1
    micros.file_write(COUNT, tostring(n))
    micros.log("portion " .. n)
    return {portions = n}
end

-- the servo position now, in degrees (to 5 degrees: the duty has 1023 steps)
function M.position()
    setup()
    local d = micros.duty(pin)
    local deg = (d / micros.DUTY_MAX * 20 - 0.5) / 2.0 * 180
    return math.floor(deg / 5 + 0.5) * 5
end

M.__decl = {
    feed = {params = {{"open_deg", "int", 90, "0-180-10"}, {"open_ms", "int", 500}},
            widget = "BUTTON"},
    portions = {widget = "TEXTBOX"},
}

return M
