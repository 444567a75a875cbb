package cab_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/buildworksai/trustgate"
	"github.com/buildworksai/trustgate/blastradius"
	"github.com/buildworksai/trustgate/cab"
	"github.com/buildworksai/trustgate/riskmodel"
	"github.com/shopspring/decimal"
)

func ExampleDecision_MarshalJSON() {
	model := riskmodel.Seed(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	model.Version = "1.2"
	model.Thresholds[blastradius.ProductivityTools] = decimal.NewFromInt(20)

	d, err := cab.Decide(decimal.RequireFromString("12.5"), blastradius.ProductivityTools, &model)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))

	// Reading it back validates it: a class that does not exist is an
	// invalid-input error naming the field.
	var back cab.Decision
	err = json.Unmarshal([]byte(`{"outcome":"manual_review","reason":{"code":"SCORE_ABOVE_THRESHOLD","text":""},
		"score":"31","class":"HUGE","threshold":"30","exception_threshold":"85","model_version":"1.2","quorum":1}`), &back)
	var e *trustgate.Error
	if errors.As(err, &e) {
		fmt.Println(e.Code, e.Field, errors.Is(err, blastradius.ErrUnknownClass))
	}
	// Output:
	// {
	//   "outcome": "auto_approved",
	//   "reason": {
	//     "code": "SCORE_WITHIN_THRESHOLD",
	//     "text": "the risk score is at or below the class's auto-approve threshold"
	//   },
	//   "score": "12.5",
	//   "class": "PRODUCTIVITY_TOOLS",
	//   "threshold": "20",
	//   "exception_threshold": "80",
	//   "model_version": "1.2",
	//   "quorum": 1
	// }
	// invalid class true
}
