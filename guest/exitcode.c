/* exitcode: exits with atoi(argv[1]) (default 0); prints nothing. */
#include <stdlib.h>

int main(int argc, char **argv)
{
    exit(argc > 1 ? atoi(argv[1]) : 0);
}
