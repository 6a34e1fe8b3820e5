-- LM_rgbcct.lua - one control over an RGB strip and a CCT (cold/warm white) strip.
-- After micrOS's LM_rgbcct: color() drives the RGB channels, white() the two whites,
-- brightness() scales both, toggle() switches everything off and back to the last values.
--   rgbcct color 255 80 0
--   rgbcct white 600 200
--   rgbcct brightness 50
local M = {}

local pins = nil
local state = {r = 0, g = 0, b = 0, cw = 0, ww = 0, br = 100, on = true}

local function setup()
    if pins then return end
    pins = {}
    for _, tag in ipairs({"redgb", "rgreenb", "rgbue", "cwhite", "wwhite"}) do
        pins[tag] = micros.pwm(micros.bind_pin(tag), 20000, 0)
    end
end

-- writes state to the five PWM channels (0-255 for rgb, 0-1000 for white -> 0..1023 duty)
local function apply()
    setup()
    local k = state.on and state.br / 100 or 0
    local function d(v, max) return math.floor(v * k * micros.DUTY_MAX / max + 0.5) end
    micros.duty(pins.redgb, d(state.r, 255))
    micros.duty(pins.rgreenb, d(state.g, 255))
    micros.duty(pins.rgbue, d(state.b, 255))
    micros.duty(pins.cwhite, d(state.cw, 1000))
    micros.duty(pins.wwhite, d(state.ww, 1000))
    return M.status()
end

function M.color(r, g, b)
    state.r, state.g, state.b, state.on = r, g, b, true
    return apply()
end

function M.white(cw, ww)
    state.cw, state.ww, state.on = cw, ww, true
    return apply()
end

function M.brightness(percent)
    state.br = math.max(0, math.min(100, percent))
    return apply()
end

function M.toggle()
    state.on = not state.on
    return apply()
end

function M.status()
    return {R = state.r, G = state.g, B = state.b, CW = state.cw, WW = state.ww,
            BR = state.br, S = state.on and 1 or 0}
end

M.__decl = {
    color = {params = {{"r", "int", 0}, {"g", "int", 0}, {"b", "int", 0}}},
    white = {params = {{"cw", "int", 0}, {"ww", "int", 0}}},
    brightness = {params = {{"percent", "int", 100}}},
}
-- micrOS's own help-string form, pasted as is
M.__help = {
    "COLOR color r=<0-255-5> g b",
    "WHITE white cw=<0-1000-10> ww",
    "SLIDER brightness percent=<0-100-5>",
    "BUTTON toggle",
}

return M
