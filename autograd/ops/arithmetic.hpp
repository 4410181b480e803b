#pragma once
// add, sub, mul, div, neg on Vars, with NumPy broadcasting and with scalars; the operators call them.

#include "autograd/var.hpp"

namespace smallnet {

Var add(const Var& a, const Var& b);
Var sub(const Var& a, const Var& b);
Var mul(const Var& a, const Var& b);
Var div(const Var& a, const Var& b);
Var neg(const Var& x);
Var add(const Var& a, float b);
Var mul(const Var& a, float b);

Var operator+(const Var& a, const Var& b);
Var operator-(const Var& a, const Var& b);
Var operator*(const Var& a, const Var& b);
Var operator/(const Var& a, const Var& b);
Var operator-(const Var& x);
Var operator+(const Var& a, float b);
Var operator-(const Var& a, float b);
Var operator*(const Var& a, float b);
Var operator/(const Var& a, float b);
Var operator*(float a, const Var& b);

}  // namespace smallnet
