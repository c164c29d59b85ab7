/* startup_lib: one of the small shared libraries programs/startup.c links with, built once per
 * INDEX (-DINDEX=n) as libstartupN.so: a few functions and some data, with debug info, so that
 * GDB has a symbol table and DWARF to read from each of them. */
#define NAME2(prefix, n) prefix##n
#define NAME(prefix, n) NAME2(prefix, n)

static int table[64] = {INDEX, INDEX + 1, INDEX + 2};

static int twice(int x) { return 2 * x + table[x & 63]; }

int NAME(startup_helper_, INDEX)(int x) { return twice(x) ^ INDEX; }

int NAME(startup_lib_, INDEX)(void) { return NAME(startup_helper_, INDEX)(INDEX) + table[1]; }
