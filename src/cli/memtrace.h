/* encore memtrace: reading the output of the memtrace plugin. */
#ifndef ENCORE_CLI_MEMTRACE_H
#define ENCORE_CLI_MEMTRACE_H

int cmd_memtrace(int argc, char **argv);

#endif
