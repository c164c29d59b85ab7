/* startup: a program linked with 8 small shared libraries (programs/startup_lib.c, built by
 * bench/case_startup.py, found through an rpath), whose start-up under a debugger is measured
 * from launching GDB to the stop at main. */
int startup_lib_0(void), startup_lib_1(void), startup_lib_2(void), startup_lib_3(void);
int startup_lib_4(void), startup_lib_5(void), startup_lib_6(void), startup_lib_7(void);

int main(void) {
  return (startup_lib_0() + startup_lib_1() + startup_lib_2() + startup_lib_3() + startup_lib_4() +
          startup_lib_5() + startup_lib_6() + startup_lib_7()) == 0;
}
