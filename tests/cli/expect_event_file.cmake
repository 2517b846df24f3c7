# Passes when DIR holds exactly one TensorBoard event file that starts with the record of
# "brain.Event:2" and holds the metrics' tags. Usage: cmake -DDIR=path -P expect_event_file.cmake
file(GLOB files "${DIR}/events.out.tfevents.*")
list(LENGTH files n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one event file in ${DIR}, found ${n}: ${files}")
endif()
file(READ "${files}" head LIMIT 64 HEX)
# 8-byte length, 4-byte CRC, then the Event: wall_time (field 1, double) and file_version (field 3).
string(HEX "brain.Event:2" version)
if(NOT head MATCHES "${version}")
  message(FATAL_ERROR "${files} does not start with the brain.Event:2 record: ${head}")
endif()
file(STRINGS "${files}" tags REGEX "metrics/train_loss")
if(NOT tags)
  message(FATAL_ERROR "${files} has no metrics/train_loss scalar")
endif()
