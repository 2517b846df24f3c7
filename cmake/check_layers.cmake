# The one-way rule between Ember's layers, checked on every #include "..." of the library:
#   cmake -DROOT=<source dir> [-DSTAMP=<file to touch on success>] -P cmake/check_layers.cmake
# Part of the build (the ember target depends on it), so an upward include fails the build.
#
# Layers, lowest first; each may include its own headers and those of the layers it lists.
#   core         src/core, ember/{autocast,cpu_info,device,dtype,error,memory,parallel,random,tensor}.h
#   backend      src/backend: kernels                                     -> core
#   ops          src/ops, src/autograd, ember/{ops,autograd}.h, ember/ops/ -> backend core
#   nn, optim, io                                                          -> ops core
#   text         tokenizers                                                -> io ops core
#   data         datasets, loader, transforms                              -> text io ops core
#   distributed  process groups, DDP, ZeRO                                 -> data nn optim io ops core
#   train        checkpoints, metrics, the training loop                   -> distributed data text nn optim io ops core
#   models       architectures, Hugging Face checkpoints                   -> data text nn optim io ops core
#   explain      attributions (saliency, IG, occlusion ...), heatmaps      -> models data text nn optim io ops core
#   recipes      `ember train` recipes                                     -> every layer above but explain
#   onnx         ONNX export of traced ops                                 -> nn io ops core
# Private headers (src/<layer>/*.h) belong to their layer; ops may also include backend's and
# core's (core/op_helpers.h), and backend core's. tools/, tests/, bench/ and examples/ sit on top.
cmake_minimum_required(VERSION 3.25)
if(NOT ROOT)
  message(FATAL_ERROR "check_layers: pass -DROOT=<Ember's source dir>")
endif()

set(deps_core "")
set(deps_backend core)
set(deps_ops backend core)
set(deps_nn ops core)
set(deps_optim ops core)
set(deps_io ops core)
set(deps_text io ops core)
set(deps_data text io ops core)
set(deps_distributed data nn optim io ops core)
set(deps_train distributed data text nn optim io ops core)
set(deps_models data text nn optim io ops core)
set(deps_explain models data text nn optim io ops core)
set(deps_recipes models train distributed data text nn optim io ops core)
set(deps_onnx nn io ops core)
set(layers core backend ops nn optim io text data distributed train models explain recipes onnx)
# Whose private headers a layer may include besides its own.
set(private_backend core)
set(private_ops backend core)

# The layer of a path under include/ember/ (public) or src/ (private); "" if outside them.
function(layer_of_public rel out)  # rel: the path after "ember/"
  if(rel MATCHES "^(autocast|cpu_info|device|dtype|error|memory|parallel|random|tensor)\\.h$")
    set(${out} core PARENT_SCOPE)
  elseif(rel MATCHES "^(ops|autograd)\\.h$" OR rel MATCHES "^ops/")
    set(${out} ops PARENT_SCOPE)
  elseif(rel STREQUAL "optim.h")
    set(${out} optim PARENT_SCOPE)
  elseif(rel STREQUAL "ember.h")
    set(${out} umbrella PARENT_SCOPE)
  elseif(rel MATCHES "^([a-z_]+)/")
    set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
  else()
    set(${out} "" PARENT_SCOPE)
  endif()
endfunction()
function(layer_of_src dir out)  # dir: the folder under src/
  if(dir STREQUAL "autograd")
    set(${out} ops PARENT_SCOPE)
  else()
    set(${out} ${dir} PARENT_SCOPE)
  endif()
endfunction()

file(GLOB_RECURSE files RELATIVE ${ROOT} ${ROOT}/src/*.cpp ${ROOT}/src/*.h ${ROOT}/include/ember/*.h)
set(violations "")
set(checked 0)
foreach(f IN LISTS files)
  if(f MATCHES "^include/ember/(.+)$")
    layer_of_public("${CMAKE_MATCH_1}" from)
  elseif(f MATCHES "^src/([a-z_]+)/")
    layer_of_src("${CMAKE_MATCH_1}" from)
  endif()
  if(from STREQUAL "umbrella")
    continue()
  endif()
  if(NOT from IN_LIST layers)
    string(APPEND violations "\n  ${f}: in no layer; add its folder to cmake/check_layers.cmake")
    continue()
  endif()
  file(STRINGS ${ROOT}/${f} includes REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]+\"")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$" "\\1" inc "${line}")
    math(EXPR checked "${checked} + 1")
    if(inc MATCHES "^ember/(.+)$")
      layer_of_public("${CMAKE_MATCH_1}" to)
      set(kind "the public header of layer '${to}'")
      set(allowed ${from} ${deps_${from}})
    elseif(inc MATCHES "^([a-z_]+)/")
      layer_of_src("${CMAKE_MATCH_1}" to)
      set(kind "a private header of layer '${to}'")
      set(allowed ${from} ${private_${from}})
    else()
      continue()  # a header in the same folder
    endif()
    if(NOT to IN_LIST allowed)
      string(APPEND violations "\n  ${f}: #include \"${inc}\" is ${kind}, which layer '${from}' may not include")
    endif()
  endforeach()
endforeach()

if(violations)
  message(FATAL_ERROR "Ember's layers (cmake/check_layers.cmake, README \"Layers\"): a layer includes "
                      "only itself and the layers below it, and no other layer's private src/ headers:"
                      "${violations}")
endif()
if(STAMP)
  file(TOUCH ${STAMP})
endif()
list(LENGTH files nfiles)
message(STATUS "Ember layers: ${checked} includes in ${nfiles} files follow the one-way rule")
