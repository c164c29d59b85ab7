# Shared by stub-gdbserver.exp and stub-extended-gdbserver.exp; sourced, not a board itself.
#
# Picks the server program from the environment, before GDB's own board files run, so that
# gdbserver-base.exp's set_board_info (which never overrides an existing entry) keeps ours:
#   STUB_GDBSERVER            server to start instead of gdbserver (default /usr/bin/gdbserver);
#                             a bare name is looked up in PATH, a relative path is made absolute.
#   STUB_GDB_SUITE_PORT_BASE  first TCP port minus one (default 2345, as in gdbserver-support.exp);
#                             lets parallel runtest processes use disjoint port ranges.
# Note that GDBSERVER=... on the runtest command line still overrides gdb_server_prog.

global env

proc stub_gdb_suite_server {} {
    global env
    if {[info exists env(STUB_GDBSERVER)] && $env(STUB_GDBSERVER) != ""} {
	set prog $env(STUB_GDBSERVER)
    } else {
	set prog /usr/bin/gdbserver
    }
    if {[file pathtype $prog] == "relative" && [string first "/" $prog] < 0} {
	set found [auto_execok $prog]
	if {$found != ""} {
	    set prog [lindex $found 0]
	}
    }
    # remote_spawn splits the command line on whitespace and the harness needs an absolute path.
    set prog [file normalize $prog]
    if {![file executable $prog]} {
	perror "stub board: server program '$prog' (STUB_GDBSERVER) is not executable"
    }
    return $prog
}

set_board_info gdb_server_prog [stub_gdb_suite_server]

# gdbserver-support.exp does `set portnum "2345"` when it is loaded, which happens after the
# board file (with the tool-and-target config file). Catch that first write and move the base.
proc stub_gdb_suite_port_base {name1 name2 op} {
    global env portnum
    trace remove variable ::portnum write stub_gdb_suite_port_base
    set portnum $env(STUB_GDB_SUITE_PORT_BASE)
}
if {[info exists env(STUB_GDB_SUITE_PORT_BASE)]
    && [string is integer -strict $env(STUB_GDB_SUITE_PORT_BASE)]} {
    trace add variable ::portnum write stub_gdb_suite_port_base
}
