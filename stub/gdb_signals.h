// GDB numbers signals its own way on the wire (SIGUSR1 is 30, not Linux's 10); stop replies,
// C/S/vCont actions and QPassSignals all use GDB's numbers.
#pragma once

namespace xolstub::stub {

int host_to_gdb_signal(int host_signal);
// 0 when GDB's number has no Linux counterpart.
int gdb_to_host_signal(int gdb_signal);

} // namespace xolstub::stub
