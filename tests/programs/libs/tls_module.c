/* libtls_module.so: a __thread variable in a shared library that tls_vars links, so that it
 * is loaded at startup and its block sits in the static TLS area (qGetTLSAddr with the
 * library's link_map, not the executable's). */
__thread int tls_lib = -2;

void set_tls_lib(int value)
{
    tls_lib = value;
}
