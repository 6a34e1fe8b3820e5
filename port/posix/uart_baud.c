/* uart_baud.c - a serial port's baud rate when termios has no B-constant for it (256000 for
 * the ld2410): the termios2 ioctls with BOTHER. A file of its own because <asm/termbits.h>
 * and <termios.h> cannot be included together. */
#include <asm/ioctls.h>
#include <asm/termbits.h>
#include <stdint.h>
#include <sys/ioctl.h>

int uart_set_custom_baud(int fd, uint32_t baud);

/* Sets fd's input and output speed to baud. Returns 0 or -1 with errno set. */
int uart_set_custom_baud(int fd, uint32_t baud)
{
    struct termios2 t;
    if (ioctl(fd, TCGETS2, &t) < 0)
        return -1;
    t.c_cflag &= ~(tcflag_t)CBAUD;
    t.c_cflag |= BOTHER;
    t.c_ispeed = baud;
    t.c_ospeed = baud;
    return ioctl(fd, TCSETS2, &t);
}
