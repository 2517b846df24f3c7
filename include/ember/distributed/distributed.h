#pragma once
// ember::distributed: process groups (MPI), DistributedDataParallel, DistributedSampler, ZeRO-1
// optimizer sharding and the Context helper recipes use. See README.md, "Distributed training".
#include "ember/distributed/context.h"
#include "ember/distributed/ddp.h"
#include "ember/distributed/process_group.h"
#include "ember/distributed/sampler.h"
#include "ember/distributed/zero.h"
