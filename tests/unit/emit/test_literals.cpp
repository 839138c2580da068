// C++ literals of the scalar type (emit/cpp_names.h): what the generated code writes for a
// constant, which must compile under -Werror and read back as the value the interpreter uses.
#include <catch2/catch.hpp>

#include <cfloat>
#include <cmath>
#include <limits>

#include "emit/cpp_names.h"

using gg::Precision;
using gg::cpp::literal;

TEST_CASE("literals read back as the double, or as the nearest float for f32", "[emit][literal]") {
  CHECK(literal(0.5, Precision::F64) == "0.5");
  CHECK(literal(2.0, Precision::F64) == "2.0");
  CHECK(literal(-1.0, Precision::F64) == "(-1.0)");
  CHECK(literal(0.5, Precision::F32) == "0.5f");
  CHECK(literal(-0.0, Precision::F32) == "(-0.0f)");
  // f32: the shortest text of the float, not of the double (1/3 is 0.33333334f).
  CHECK(literal(1.0 / 3.0, Precision::F64) == "0.3333333333333333");
  CHECK(literal(1.0 / 3.0, Precision::F32) == "0.33333334f");
  CHECK(literal(0.1, Precision::F32) == "0.1f");
}

TEST_CASE("f32 literals beyond float's range are infinity or zero, as the f32 interpreter rounds them", "[emit][literal]") {
  const std::string inf = "std::numeric_limits<Scalar>::infinity()";
  // 1e300f does not compile under -Werror (and 1e-320f warns): the float they round to instead.
  CHECK(literal(1e300, Precision::F32) == inf);
  CHECK(literal(-1e39, Precision::F32) == "(-" + inf + ")");
  CHECK(literal(1e300, Precision::F64) == "1e+300");
  CHECK(literal(1e-320, Precision::F32) == "0.0f");
  CHECK(literal(-1e-320, Precision::F32) == "(-0.0f)");
  // FLT_MAX stays; past it by less than half an ulp (2^103) rounds back to it, from half an
  // ulp on to infinity (ties to even: FLT_MAX's last mantissa bit is odd).
  CHECK(literal(FLT_MAX, Precision::F32) == "3.4028235e+38f");
  CHECK(literal(double(FLT_MAX) + 0x1p102, Precision::F32) == "3.4028235e+38f");
  CHECK(literal(double(FLT_MAX) + 0x1p103, Precision::F32) == inf);
  CHECK(literal(std::nextafter(double(FLT_MAX) + 0x1p103, 0.0), Precision::F32) == "3.4028235e+38f");
  CHECK(literal(std::numeric_limits<double>::quiet_NaN(), Precision::F32) == "std::numeric_limits<Scalar>::quiet_NaN()");
  CHECK(literal(-std::numeric_limits<double>::infinity(), Precision::F64) == "(-" + inf + ")");
}
