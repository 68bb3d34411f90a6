// Must NOT compile: built by the test reference_refuses_ops against tapegrad::reference
// alone, which passes only when the compiler cannot find the ops' header. The reference
// is the independent witness of the tape's gradients; its target cannot see an op.
#include <tapegrad/reference/network.hpp>  // found: the reference's own header

#include <tapegrad/ops.hpp>  // not found: tapegrad::reference does not link tapegrad::ops

int main() { return 0; }
