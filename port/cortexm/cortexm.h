/* cortexm.h - what the Cortex-M port needs from the board's start-up code. */
#ifndef CORTEXM_H
#define CORTEXM_H

#include <stdint.h>

/* Advances the millisecond clock; call it from the 1 kHz SysTick interrupt. */
void cortexm_tick(void);

#endif
