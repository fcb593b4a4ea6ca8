// xgrad: everything in one include.
#pragma once

#include "xgrad/activations.hpp"
#include "xgrad/allocator.hpp"
#include "xgrad/array.hpp"
#include "xgrad/autograd.hpp"
#include "xgrad/format.hpp"
#include "xgrad/gradcheck.hpp"
#include "xgrad/nn/module.hpp"
#include "xgrad/ops.hpp"
#include "xgrad/random.hpp"
#include "xgrad/tensor.hpp"
#include "xgrad/threads.hpp"
