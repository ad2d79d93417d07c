// Eclipse Mosquitto's MQTT client library (Debian's libmosquitto-dev), for publishing results to a broker.
// Its integer macros (MQTT_PROTOCOL_V311, error codes) import into Swift as they are.
#ifndef MRCNN_CMOSQUITTO_SHIM_H
#define MRCNN_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif
