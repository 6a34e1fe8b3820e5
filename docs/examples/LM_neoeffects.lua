-- LM_neoeffects.lua - effects on a neopixel strip, each one a coroutine loop.
-- After micrOS's LM_neoeffects: an effect is a generator that yields one frame after another;
-- play() shows the frames with micros.sleep_ms between them, so run effects as tasks:
--   neoeffects load 24
--   neoeffects rainbow 30 100 &      (30 ms a frame, 100 frames, in the background)
--   neoeffects cycle 0 0 255 &&      (a loop, stopped with task kill neoeffects.cycle)
local M = {}

local pin, count = nil, 8
local bright = 100 -- percent

local function setup()
    if not pin then
        pin = micros.bind_pin("neop")
    end
end

local function scale(v)
    return v * bright // 100
end

-- shows one frame: a list of {r, g, b}
local function show(frame)
    local flat = {}
    for i = 1, #frame do
        local px = frame[i]
        flat[#flat + 1] = scale(px[1])
        flat[#flat + 1] = scale(px[2])
        flat[#flat + 1] = scale(px[3])
    end
    micros.neopixel(pin, flat)
end

-- plays frames from the generator gen, ms apart, at most n frames
local function play(gen, ms, n)
    local co = coroutine.wrap(gen)
    for _ = 1, n do
        local frame = co()
        if not frame then break end
        show(frame)
        micros.sleep_ms(ms)
    end
    return "done"
end

local function wheel(pos)
    pos = pos % 256
    if pos < 85 then return {255 - pos * 3, pos * 3, 0} end
    if pos < 170 then pos = pos - 85; return {0, 255 - pos * 3, pos * 3} end
    pos = pos - 170
    return {pos * 3, 0, 255 - pos * 3}
end

function M.load(ledcnt)
    setup()
    count = ledcnt
    return {pin = pin, ledcnt = count}
end

-- one color on every pixel, at once
function M.color(r, g, b)
    setup()
    local frame = {}
    for i = 1, count do frame[i] = {r, g, b} end
    show(frame)
    return {r = r, g = g, b = b}
end

function M.brightness(percent)
    bright = math.max(0, math.min(100, percent))
    return bright
end

-- a rainbow running along the strip (a task: call with &)
function M.rainbow(ms, frames)
    setup()
    return play(function()
        local step = 0
        while true do
            local frame = {}
            for i = 1, count do frame[i] = wheel((i * 256 // count + step) & 255) end
            coroutine.yield(frame)
            step = step + 8
        end
    end, ms, frames)
end

-- one lit pixel of color r g b walking around the strip (a task: call with & or &&)
function M.cycle(r, g, b, ms)
    setup()
    return play(function()
        for pos = 1, count do
            local frame = {}
            for i = 1, count do frame[i] = i == pos and {r, g, b} or {0, 0, 0} end
            coroutine.yield(frame)
        end
    end, ms, count)
end

function M.off()
    return M.color(0, 0, 0)
end

M.__decl = {
    load = {params = {{"ledcnt", "int", 8}}},
    color = {params = {{"r", "int", 0}, {"g", "int", 0}, {"b", "int", 0}}},
    brightness = {params = {{"percent", "int", 100, "0-100-5"}}, widget = "SLIDER"},
    rainbow = {params = {{"ms", "int", 30}, {"frames", "int", 256}}, widget = "BUTTON"},
    cycle = {params = {{"r", "int", 0}, {"g", "int", 0}, {"b", "int", 255}, {"ms", "int", 50}}},
    off = {widget = "BUTTON"},
}
M.__help = {"COLOR color r=<0-255-5> g b"}

return M
