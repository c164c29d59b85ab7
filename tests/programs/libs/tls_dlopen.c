/* libtls_dlopen.so: a __thread variable in a library that tls_vars dlopens. Its block is
 * dynamic TLS: a thread gets one only when it first touches the variable, through
 * __tls_get_addr, so until then the debugger has no address to show for that thread. */
__thread int tls_dl = -3;

void set_tls_dl(int value)
{
    tls_dl = value;
}
