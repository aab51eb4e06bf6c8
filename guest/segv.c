/* segv: prints a line, then dies with SIGSEGV by writing to address 16. */
#include <stdio.h>

int main(void)
{
    printf("about to fault\n");
    fflush(stdout);
    int *volatile bad = (int *)16; /* volatile: hides the constant from the optimiser */
    *bad = 1;
    printf("still alive?!\n");
    return 1;
}
