/* abort: prints a line, then dies with SIGABRT via abort(). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("about to abort\n");
    fflush(stdout);
    abort();
}
