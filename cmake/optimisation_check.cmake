# xgrad_warn_if_unoptimised(): one warning when the including project builds without
# optimisation. xgrad's headers hold templates (tensor ops, layers) that are compiled in the
# user's own targets; without -O2 a training step runs several times slower.
include_guard(GLOBAL)

function(xgrad_warn_if_unoptimised)
  get_property(warned GLOBAL PROPERTY XGRAD_WARNED_UNOPTIMISED)
  if(warned OR CMAKE_CONFIGURATION_TYPES)  # multi-config generators choose at build time
    return()
  endif()
  if(NOT CMAKE_BUILD_TYPE OR CMAKE_BUILD_TYPE STREQUAL "Debug")
    set(type "${CMAKE_BUILD_TYPE}")
    if(NOT type)
      set(type "none")
    endif()
    message(WARNING "xgrad: this project's build type is ${type}, so the xgrad code compiled in "
                    "its targets is not optimised (training runs several times slower). "
                    "Configure with -DCMAKE_BUILD_TYPE=Release (or RelWithDebInfo) for speed.")
    set_property(GLOBAL PROPERTY XGRAD_WARNED_UNOPTIMISED TRUE)
  endif()
endfunction()
