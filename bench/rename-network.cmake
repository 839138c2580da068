# Copies a .grad file, renaming its network: cmake -DIN=a.grad -DOUT=b.grad -DNAME=new -P this.
# Each generated variant needs its own network name, because the C ABI symbols of the
# generated code are prefixed with it and all variants link into one executable.
file(READ "${IN}" text)
string(REGEX REPLACE "(^|\n)network +[A-Za-z_][A-Za-z_0-9]*" "\\1network ${NAME}" text "${text}")
file(WRITE "${OUT}" "${text}")
