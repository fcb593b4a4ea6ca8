// The activation list: one row per activation of the catalogue. Everything that names an
// activation follows from it: the kernel enum and dispatch (src/kernels/activation.cpp), the
// functions xg::relu(x), xg::leaky_relu(x, negative_slope), ... (activations/elementwise.hpp),
// the layers nn::ReLU, nn::LeakyReLU, ... with their float and double aliases (nn/activation.hpp),
// the registry nn::make_activation and its catalogue (formulas, ranges, defaults, the weight init
// that suits each activation and its gain, trainable parameter names), docs/activations.md and
// the command line's `--init auto`. Adding an activation takes its functor in
// src/kernels/activation.cpp, one row here and its reference row in tests/test_activations.cpp.
//
// Why an X-macro and not a type list: the list has to mint names (the functions, the layer
// classes, the kernel enum's constants) and only the preprocessor creates identifiers; a type
// list iterates over types that already exist but cannot declare xg::squareplus or nn::ReLU.
// It must also expand inside the AVX-512 kernel file, which sees nothing of the library but
// this header. Each consumer defines what a row means to it, expands the list, and #undefs.
//
// A row: KIND(name, Layer, Functor, HYPER, CHECKS, description, formula, derivative, range,
//             monotonic, zero_centred, saturation, kink, init, gain, trainable)
//   KIND      FUSED: one fused kernel node; the function, the layer class and the registry
//               entry are generated.
//             FUSED_OWN_LAYER: kernel and function generated; the layer is written by hand
//               (nn::GELU takes PyTorch's `approximate` and stands for both GELU rows).
//             CUSTOM: written by hand (trainable parameters, random slopes, a vector-valued
//               output); the list gives its catalogue entry and registry hyper-parameters.
//   name      the function's and the registry's name; Layer the nn:: class (nn::Basic<Layer><T>
//             with the aliases <Layer> for float and <Layer>D for double); Functor the kernel
//             functor (_ when there is none).
//   HYPER     the hyper-parameters in order, with their defaults: (name, default)(name, default);
//             empty for none. A fused row has at most two (kernels::ActParams a and b).
//   CHECKS    (parameter, condition, "allowed range") for each constraint; the condition may
//             name any hyper-parameter of the row. A failed check throws std::invalid_argument
//             "<name>: <parameter> must be <allowed range>, got <value>".
//   metadata  strings for docs/activations.md and `xgrad list`; monotonic and zero_centred are
//             bool; kink is the derivative used at kinks ("" when smooth); init is the weight
//             init that suits the activation ("kaiming", "xavier" or "lecun") and gain the
//             nonlinearity given to nn::init::calculate_gain; trainable lists the layer's
//             parameter names, separated by spaces.
#pragma once

// ---- preprocessor sequences (x)(y)(z) of up to 6 elements, for HYPER and CHECKS ----
#define XG_PP_CAT(a, b) XG_PP_CAT_I(a, b)
#define XG_PP_CAT_I(a, b) a##b
#define XG_PP_APPLY(macro, args) macro args
#define XG_PP_SEQ_SIZE(seq) XG_PP_CAT(XG_PP_SEQ_SIZE_, XG_PP_SEQ_SIZE_0 seq)
#define XG_PP_SEQ_SIZE_0(...) XG_PP_SEQ_SIZE_1
#define XG_PP_SEQ_SIZE_1(...) XG_PP_SEQ_SIZE_2
#define XG_PP_SEQ_SIZE_2(...) XG_PP_SEQ_SIZE_3
#define XG_PP_SEQ_SIZE_3(...) XG_PP_SEQ_SIZE_4
#define XG_PP_SEQ_SIZE_4(...) XG_PP_SEQ_SIZE_5
#define XG_PP_SEQ_SIZE_5(...) XG_PP_SEQ_SIZE_6
#define XG_PP_SEQ_SIZE_XG_PP_SEQ_SIZE_0 0
#define XG_PP_SEQ_SIZE_XG_PP_SEQ_SIZE_1 1
#define XG_PP_SEQ_SIZE_XG_PP_SEQ_SIZE_2 2
#define XG_PP_SEQ_SIZE_XG_PP_SEQ_SIZE_3 3
#define XG_PP_SEQ_SIZE_XG_PP_SEQ_SIZE_4 4
#define XG_PP_SEQ_SIZE_XG_PP_SEQ_SIZE_5 5
#define XG_PP_SEQ_SIZE_XG_PP_SEQ_SIZE_6 6
#define XG_PP_SEQ_HEAD(seq) XG_PP_SEQ_FIRST(XG_PP_SEQ_SPLIT seq)
#define XG_PP_SEQ_SPLIT(...) (__VA_ARGS__),
#define XG_PP_SEQ_FIRST(...) XG_PP_SEQ_FIRST_I(__VA_ARGS__)
#define XG_PP_SEQ_FIRST_I(first, ...) first
#define XG_PP_SEQ_TAIL(seq) XG_PP_SEQ_EAT seq
#define XG_PP_SEQ_EAT(...)
// macro(element...) for every element, one after the other.
#define XG_PP_SEQ_FOR_EACH(macro, seq) \
  XG_PP_CAT(XG_PP_SEQ_FOR_EACH_, XG_PP_SEQ_SIZE(seq))(macro, seq)
#define XG_PP_SEQ_FOR_EACH_0(m, seq)
#define XG_PP_SEQ_FOR_EACH_1(m, seq) XG_PP_APPLY(m, seq)
#define XG_PP_SEQ_FOR_EACH_2(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)) XG_PP_SEQ_FOR_EACH_1(m, XG_PP_SEQ_TAIL(seq))
#define XG_PP_SEQ_FOR_EACH_3(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)) XG_PP_SEQ_FOR_EACH_2(m, XG_PP_SEQ_TAIL(seq))
#define XG_PP_SEQ_FOR_EACH_4(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)) XG_PP_SEQ_FOR_EACH_3(m, XG_PP_SEQ_TAIL(seq))
#define XG_PP_SEQ_FOR_EACH_5(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)) XG_PP_SEQ_FOR_EACH_4(m, XG_PP_SEQ_TAIL(seq))
#define XG_PP_SEQ_FOR_EACH_6(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)) XG_PP_SEQ_FOR_EACH_5(m, XG_PP_SEQ_TAIL(seq))
// The same with a comma between the elements' expansions (a parameter or argument list).
#define XG_PP_SEQ_ENUM(macro, seq) XG_PP_CAT(XG_PP_SEQ_ENUM_, XG_PP_SEQ_SIZE(seq))(macro, seq)
#define XG_PP_SEQ_ENUM_0(m, seq)
#define XG_PP_SEQ_ENUM_1(m, seq) XG_PP_APPLY(m, seq)
#define XG_PP_SEQ_ENUM_2(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)), XG_PP_SEQ_ENUM_1(m, XG_PP_SEQ_TAIL(seq))
#define XG_PP_SEQ_ENUM_3(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)), XG_PP_SEQ_ENUM_2(m, XG_PP_SEQ_TAIL(seq))
#define XG_PP_SEQ_ENUM_4(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)), XG_PP_SEQ_ENUM_3(m, XG_PP_SEQ_TAIL(seq))
#define XG_PP_SEQ_ENUM_5(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)), XG_PP_SEQ_ENUM_4(m, XG_PP_SEQ_TAIL(seq))
#define XG_PP_SEQ_ENUM_6(m, seq) \
  XG_PP_APPLY(m, XG_PP_SEQ_HEAD(seq)), XG_PP_SEQ_ENUM_5(m, XG_PP_SEQ_TAIL(seq))
// A row kind a consumer ignores.
#define XG_ACTIVATION_SKIP(...)

// ---- the list ----
// clang-format off
#define XG_ACTIVATION_LIST(FUSED, FUSED_OWN_LAYER, CUSTOM)                                         \
  FUSED(identity, Identity, Identity, , ,                                                          \
        "x: no non-linearity (a deep linear net is still a linear classifier)",                    \
        "x", "1", "(-inf, inf)", true, true, "none", "", "xavier", "linear", "")                   \
  FUSED(binary_step, BinaryStep, BinaryStep, , ,                                                   \
        "1 for x >= 0, else 0: no gradient flows",                                                 \
        "0 if x < 0, 1 if x >= 0", "0", "{0, 1}", true, false, "hard both sides", "0 everywhere",  \
        "kaiming", "linear", "")                                                                   \
  FUSED(sigmoid, Sigmoid, Sigmoid, , ,                                                             \
        "logistic 1/(1+e^-x); f' <= 1/4, so deep sigmoid nets vanish",                             \
        "1/(1+e^-x)", "s(1-s), max 1/4 at 0", "(0, 1)", true, false, "soft both sides", "",        \
        "xavier", "sigmoid", "")                                                                   \
  FUSED(tanh, Tanh, Tanh, , ,                                                                      \
        "hyperbolic tangent = 2 sigmoid(2x) - 1, zero-centred",                                    \
        "(e^x-e^-x)/(e^x+e^-x)", "1 - tanh^2(x)", "(-1, 1)", true, true, "soft both sides", "",    \
        "xavier", "tanh", "")                                                                      \
  FUSED(arctan, ArcTan, Arctan, , ,                                                                \
        "atan(x), slowly saturating",                                                              \
        "atan(x)", "1/(1+x^2)", "(-pi/2, pi/2)", true, true, "soft both sides", "",                \
        "xavier", "linear", "")                                                                    \
  FUSED(softsign, Softsign, Softsign, , ,                                                          \
        "x/(1+|x|), polynomial saturation",                                                        \
        "x/(1+|x|)", "1/(1+|x|)^2", "(-1, 1)", true, true, "soft both sides", "",                  \
        "xavier", "linear", "")                                                                    \
  FUSED(isru, ISRU, Isru, (a, 1), (a, a > 0, "> 0"),                                               \
        "inverse square root unit x/sqrt(1+a x^2)",                                                \
        "x/sqrt(1+a x^2)", "(1/sqrt(1+a x^2))^3", "(-1/sqrt(a), 1/sqrt(a))", true, true,           \
        "soft both sides", "", "xavier", "linear", "")                                             \
  FUSED(isrlu, ISRLU, Isrlu, (a, 1), (a, a > 0, "> 0"),                                            \
        "x for x >= 0, ISRU below: ELU-like without exp",                                          \
        "x if x>=0, x/sqrt(1+a x^2) if x<0", "1 if x>=0, (1/sqrt(1+a x^2))^3 if x<0",              \
        "(-1/sqrt(a), inf)", true, false, "soft left", "1 at 0 (both sides agree)",                \
        "kaiming", "linear", "")                                                                   \
  FUSED(relu, ReLU, Relu, , ,                                                                      \
        "max(0, x): cheap, sparse, can die",                                                       \
        "max(0, x)", "1 if x > 0 else 0", "[0, inf)", true, false, "hard left", "f'(0) = 0",       \
        "kaiming", "relu", "")                                                                     \
  FUSED(relu6, ReLU6, Relu6, , ,                                                                   \
        "min(max(0, x), 6) (PyTorch)",                                                             \
        "min(max(0,x),6)", "1 on (0, 6) else 0", "[0, 6]", true, false, "hard both sides",         \
        "0 at 0 and 6 (PyTorch)", "kaiming", "relu", "")                                           \
  FUSED(leaky_relu, LeakyReLU, LeakyRelu, (negative_slope, 0.01),                                  \
        (negative_slope, std::isfinite(negative_slope), "finite"),                                 \
        "x, or a x for x < 0: no dead units",                                                      \
        "x if x>=0, a x if x<0", "1 if x>0, a if x<=0", "(-inf, inf)", true, false, "none",        \
        "f'(0) = a", "kaiming", "leaky_relu", "")                                                  \
  CUSTOM(prelu, PReLU, _, (init, 0.25)(per_channel, 1),                                            \
         (per_channel, per_channel == 0 || per_channel == 1, "0 or 1"),                            \
         "leaky ReLU with a learned slope alpha (He et al. 2015)",                                 \
         "x if x>=0, alpha x if x<0", "d/dx 1 or alpha; d/dalpha 0 or x", "(-inf, inf)", true,     \
         false, "none", "f'(0) = alpha, d/dalpha = 0", "kaiming", "relu", "weight")                \
  CUSTOM(rrelu, RReLU, _, (lower, 1.0 / 8)(upper, 1.0 / 3),                                        \
         (lower, lower >= 0, ">= 0")(lower, lower <= upper, "<= upper"),                           \
         "leaky ReLU with a random slope U(l,u) in training, (l+u)/2 in eval",                     \
         "x if x>=0, a x if x<0", "the slope used", "(-inf, inf)", true, false, "none",            \
         "the slope at 0", "kaiming", "relu", "")                                                  \
  FUSED(elu, ELU, Elu, (alpha, 1), (alpha, std::isfinite(alpha), "finite"),                        \
        "exponential linear unit: smooth negative side, mean near 0",                              \
        "x if x>0, alpha(e^x-1) if x<=0", "1 if x>0, alpha e^x if x<=0", "(-alpha, inf)", true,    \
        false, "soft left", "f'(0) = alpha", "kaiming", "linear", "")                              \
  FUSED(selu, SELU, Selu, , ,                                                                      \
        "scaled ELU with the self-normalising constants (LeCun-normal init)",                      \
        "lambda elu(x; alpha)", "lambda elu'(x; alpha)", "(-lambda alpha, inf)", true, false,      \
        "soft left", "f'(0) = lambda alpha", "lecun", "selu", "")                                  \
  FUSED(celu, CELU, Celu, (alpha, 1),                                                              \
        (alpha, alpha != 0 && std::isfinite(alpha), "finite and != 0"),                            \
        "continuously differentiable ELU (PyTorch)",                                               \
        "max(0,x) + min(0, alpha(e^(x/alpha)-1))", "1 if x>0, e^(x/alpha) if x<=0",                \
        "(-alpha, inf)", true, false, "soft left", "1 at 0 (PyTorch)", "kaiming", "linear", "")    \
  CUSTOM(srelu, SReLU, _,                                                                          \
         (t_left, 0)(a_left, 0.2)(t_right, 1)(a_right, 1)(per_channel, 1),                         \
         (per_channel, per_channel == 0 || per_channel == 1, "0 or 1"),                            \
         "S-shaped ReLU with learned hinges and slopes per channel",                               \
         "t_l+a_l(x-t_l) if x<=t_l; x between; t_r+a_r(x-t_r) if x>=t_r",                          \
         "a_l, 1 or a_r; also d/dt_l, a_l, t_r, a_r", "(-inf, inf)", false, false, "none",         \
         "left piece's slope at each hinge", "kaiming", "relu", "t_left a_left t_right a_right")   \
  CUSTOM(apl, APL, _, (hinges, 2)(a, 0)(b, 1)(per_channel, 1),                                     \
         (hinges, hinges >= 1 && hinges <= 1000 && hinges == std::floor(hinges),                    \
          "an integer in [1, 1000]")                                                             \
         (b, b >= 0, ">= 0")(per_channel, per_channel == 0 || per_channel == 1, "0 or 1"),         \
         "adaptive piecewise linear: ReLU plus S learned hinges (a_s start at a, b_s ~ U(-b, b))",\
         "max(0,x) + sum_s a_s max(0, b_s - x)", "[x>0] - sum_s a_s [x<=b_s]", "depends on a, b",  \
         false, false, "none", "left piece's slope at each hinge", "kaiming", "relu", "a b")       \
  FUSED(softplus, Softplus, Softplus, (beta, 1)(threshold, 20),                                    \
        (beta, beta > 0, "> 0")(threshold, !std::isnan(threshold), "a number"),                    \
        "smooth ReLU (1/beta) log(1+e^(beta x)), linear above threshold",                          \
        "(1/beta) log(1+e^(beta x))", "sigmoid(beta x), 1/2 at 0", "(0, inf)", true, false,        \
        "soft left", "", "kaiming", "linear", "")                                                  \
  FUSED(squareplus, Squareplus, Squareplus, (b, 4),                                                \
        (b, b > 0 && std::isfinite(b), "finite and > 0"),                                          \
        "smooth ReLU from a square root only (x + sqrt(x^2+b))/2, f(0) = sqrt(b)/2",               \
        "(x + sqrt(x^2+b))/2", "(1 + x/sqrt(x^2+b))/2", "(0, inf)", true, false, "soft left", "",  \
        "kaiming", "linear", "")                                                                   \
  FUSED(bent_identity, BentIdentity, BentIdentity, , ,                                             \
        "(sqrt(x^2+1)-1)/2 + x",                                                                   \
        "(sqrt(x^2+1)-1)/2 + x", "x/(2 sqrt(x^2+1)) + 1", "(-inf, inf)", true, false, "none", "",  \
        "kaiming", "linear", "")                                                                   \
  FUSED(silu, SiLU, Silu, , ,                                                                      \
        "x sigmoid(x) (swish with beta 1; alias: swish)",                                          \
        "x sigmoid(x)", "s + x s(1-s)", "[-0.278, inf)", false, false, "soft left", "",            \
        "kaiming", "linear", "")                                                                   \
  CUSTOM(swish_beta, SwishBeta, _, (beta, 1)(per_channel, 1),                                      \
         (per_channel, per_channel == 0 || per_channel == 1, "0 or 1"),                            \
         "x sigmoid(beta x) with a learned beta",                                                  \
         "x sigmoid(beta x)", "s + beta x s(1-s); d/dbeta x^2 s(1-s)", "depends on beta", false,   \
         false, "soft left", "", "kaiming", "linear", "beta")                                      \
  CUSTOM(soft_exponential, SoftExponential, _, (alpha, 0)(per_channel, 1),                         \
         (per_channel, per_channel == 0 || per_channel == 1, "0 or 1"),                            \
         "interpolates log, identity and exp through a learned alpha",                             \
         "-ln(1-alpha(x+alpha))/alpha | x | (e^(alpha x)-1)/alpha + alpha",                        \
         "1/(1-alpha(x+alpha)) | 1 | e^(alpha x); also d/dalpha",                                  \
         "depends on alpha (NaN outside the domain for alpha < 0)", true, false,                   \
         "depends on alpha", "", "kaiming", "linear", "alpha")                                     \
  FUSED(mish, Mish, Mish, , ,                                                                      \
        "x tanh(softplus(x)) (PyTorch)",                                                           \
        "x tanh(softplus(x))", "t + x sigmoid(x)(1-t^2)", "[-0.309, inf)", false, false,           \
        "soft left", "", "kaiming", "linear", "")                                                  \
  FUSED_OWN_LAYER(gelu, GELU, GeluErf, , ,                                                         \
        "x Phi(x), exact normal CDF",                                                              \
        "x Phi(x)", "Phi(x) + x phi(x)", "[-0.170, inf)", false, false, "soft left", "",           \
        "kaiming", "linear", "")                                                                   \
  FUSED_OWN_LAYER(gelu_tanh, GELU, GeluTanh, , ,                                                   \
        "GELU, PyTorch's tanh approximation",                                                      \
        "0.5x(1+tanh(sqrt(2/pi)(x+0.044715x^3)))", "analytic", "[-0.170, inf)", false, false,      \
        "soft left", "", "kaiming", "linear", "")                                                  \
  FUSED(hardtanh, Hardtanh, Hardtanh, (min_val, -1)(max_val, 1),                                   \
        (min_val, min_val <= max_val, "<= max_val"),                                               \
        "clamp(x, min_val, max_val) (PyTorch)",                                                    \
        "min(max(x,min),max)", "1 inside (min, max) else 0", "[min_val, max_val]", true, true,     \
        "hard both sides", "0 at both ends (PyTorch)", "xavier", "linear", "")                     \
  FUSED(hardsigmoid, Hardsigmoid, Hardsigmoid, , ,                                                 \
        "relu6(x+3)/6 (PyTorch)",                                                                  \
        "relu6(x+3)/6", "1/6 inside (-3, 3) else 0", "[0, 1]", true, false, "hard both sides",     \
        "0 at -3 and 3 (PyTorch)", "xavier", "linear", "")                                         \
  FUSED(hardswish, Hardswish, Hardswish, , ,                                                       \
        "x relu6(x+3)/6 (PyTorch)",                                                                \
        "x relu6(x+3)/6", "0 below -3, x/3+1/2 on [-3,3], 1 above", "[-0.375, inf)", false, false, \
        "hard left", "-1/2 at -3, 3/2 at 3 (PyTorch)", "kaiming", "linear", "")                    \
  FUSED(logsigmoid, LogSigmoid, LogSigmoid, , ,                                                    \
        "log(sigmoid(x)), computed stably",                                                        \
        "-softplus(-x)", "1 - sigmoid(x)", "(-inf, 0)", true, false, "soft right", "",             \
        "kaiming", "linear", "")                                                                   \
  FUSED(sinusoid, Sinusoid, Sinusoid, , ,                                                          \
        "sin(x)",                                                                                  \
        "sin(x)", "cos(x)", "[-1, 1]", false, true, "none (periodic)", "", "xavier", "linear", "") \
  FUSED(sinc, Sinc, Sinc, , ,                                                                      \
        "sin(x)/x, 1 at 0",                                                                        \
        "sin(x)/x", "cos(x)/x - sin(x)/x^2, 0 at 0", "[-0.217, 1]", false, false,                  \
        "soft both sides", "", "xavier", "linear", "")                                             \
  FUSED(gaussian, Gaussian, Gaussian, , ,                                                          \
        "e^(-x^2)",                                                                                \
        "e^(-x^2)", "-2x e^(-x^2)", "(0, 1]", false, false, "soft both sides", "", "xavier",       \
        "linear", "")                                                                              \
  CUSTOM(softmax, Softmax, _, (dim, -1),                                                           \
         (dim, std::abs(dim) <= 64 && dim == std::floor(dim), "an integer in [-64, 64]"),          \
         "e^x_i / sum_j e^x_j along dim (smooth everywhere)",                                      \
         "e^(x_i)/sum_j e^(x_j)", "s (g - sum(g s))", "(0, 1), sums to 1", false, false, "soft",   \
         "", "kaiming", "linear", "")                                                              \
  CUSTOM(log_softmax, LogSoftmax, _, (dim, -1),                                                    \
         (dim, std::abs(dim) <= 64 && dim == std::floor(dim), "an integer in [-64, 64]"),          \
         "x_i - log sum_j e^x_j along dim",                                                        \
         "x_i - logsumexp(x)", "g - softmax sum(g)", "(-inf, 0)", false, false, "soft", "",        \
         "kaiming", "linear", "")
// clang-format on
