/* Compiles stb_image for platforms without a packaged libstb (see CMakeLists.txt). */
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>
