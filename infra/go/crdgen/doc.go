// Package crdgen pins the prometheus-operator monitoring API module for controller-gen to read.
package crdgen

import (
	_ "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)
