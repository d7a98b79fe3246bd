package sqlstore

// SCIMUsersSQL exposes the queries of ListSCIMUsers to the query-plan test.
var SCIMUsersSQL = scimUsersSQL
