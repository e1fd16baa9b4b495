/* The backend implements the ABI declared in CTorchABI. */
#include "discern_torch.h"
